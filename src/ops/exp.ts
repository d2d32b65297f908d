import snippet from '../../shaders/exp.wgsl';
import type { Tensor } from '../graph/tensor';
import { defineElementwise } from './elementwise';
import { mul } from './mul';
import { unary } from './scalar-operand';
import { opMethod, type OpMethod } from './op-method';

export const expOp = defineElementwise({
  name: 'exp',
  arity: 1,
  snippet,
  cpu: (a) => Math.exp(a),
  grad: ({ node, dy }) => [mul(dy, node)],
});

export const exp = (x: Tensor): Tensor<'f32'> => unary(expOp, x);

export const expMethod: OpMethod<typeof exp> = opMethod(exp, {
  cases: [
    { label: 'a matrix', operands: [{ shape: [5, 13], lo: -3, hi: 3 }], args: (x) => [x] },
    { label: 'near the f32 limit, and underflow to 0', operands: [{ shape: [3], data: [80, -110, 0] }], args: (x) => [x], gradient: false },
  ],
  eager: { method: 'exp' },
});
