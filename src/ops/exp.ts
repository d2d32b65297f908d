import snippet from '../../shaders/exp.wgsl';
import type { Tensor } from '../graph/tensor';
import { defineElementwise } from './elementwise';
import { mul } from './mul';
import { unary } from './scalar-operand';

export const expOp = defineElementwise({
  name: 'exp',
  arity: 1,
  snippet,
  cpu: (a) => Math.exp(a),
  grad: ({ node, dy }) => [mul(dy, node)],
});

export const exp = (x: Tensor): Tensor => unary(expOp, x);
