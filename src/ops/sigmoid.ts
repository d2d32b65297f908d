import snippet from '../../shaders/sigmoid.wgsl';
import gradSnippet from '../../shaders/sigmoid_grad.wgsl';
import type { Tensor } from '../graph/tensor';
import { defineElementwise } from './elementwise';
import { binary, unary } from './scalar-operand';
import { opMethod, type OpMethod } from './op-method';

export const sigmoidGradOp = defineElementwise({
  name: 'sigmoid_grad',
  arity: 2,
  snippet: gradSnippet,
  cpu: (y, dy) => dy * y * (1 - y),
});

export const sigmoidOp = defineElementwise({
  name: 'sigmoid',
  arity: 1,
  snippet,
  cpu: (a) => 1 / (1 + Math.exp(-a)),
  grad: ({ node, dy }) => [binary(sigmoidGradOp, node, dy)],
});

export const sigmoid = (x: Tensor): Tensor<'f32'> => unary(sigmoidOp, x);

export const sigmoidMethod: OpMethod<typeof sigmoid> = opMethod(sigmoid, {
  cases: [
    { label: 'a matrix', operands: [{ shape: [5, 13], lo: -5, hi: 5 }], args: (x) => [x] },
    { label: 'large magnitudes', operands: [{ shape: [4], data: [100, -100, 30, -30] }], args: (x) => [x], gradient: false },
  ],
  eager: { method: 'sigmoid' },
});
