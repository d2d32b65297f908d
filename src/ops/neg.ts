import snippet from '../../shaders/neg.wgsl';
import type { Tensor } from '../graph/tensor';
import { defineElementwise } from './elementwise';
import { unary } from './scalar-operand';

export const negOp = defineElementwise({
  name: 'neg',
  arity: 1,
  snippet,
  cpu: (a) => -a,
  grad: ({ dy }) => [neg(dy)],
});

export const neg = (x: Tensor): Tensor => unary(negOp, x);
