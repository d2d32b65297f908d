import snippet from '../../shaders/tanh.wgsl';
import gradSnippet from '../../shaders/tanh_grad.wgsl';
import type { Tensor } from '../graph/tensor';
import { defineElementwise } from './elementwise';
import { binary, unary } from './scalar-operand';
import { opMethod, type OpMethod } from './op-method';

export const tanhGradOp = defineElementwise({
  name: 'tanh_grad',
  arity: 2,
  snippet: gradSnippet,
  cpu: (y, dy) => dy * (1 - y * y),
});

export const tanhOp = defineElementwise({
  name: 'tanh',
  arity: 1,
  snippet,
  cpu: (a) => Math.tanh(a),
  grad: ({ node, dy }) => [binary(tanhGradOp, node, dy)],
});

export const tanh = (x: Tensor): Tensor<'f32'> => unary(tanhOp, x);

export const tanhMethod: OpMethod<typeof tanh> = opMethod(tanh, {
  cases: [
    { label: 'a matrix', operands: [{ shape: [5, 13], lo: -3, hi: 3 }], args: (x) => [x] },
    { label: 'large magnitudes', operands: [{ shape: [4], data: [100, -100, 20, -20] }], args: (x) => [x], gradient: false },
  ],
  eager: { method: 'tanh' },
});
