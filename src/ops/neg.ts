import snippet from '../../shaders/neg.wgsl';
import type { Tensor } from '../graph/tensor';
import { defineElementwise } from './elementwise';
import { unary } from './scalar-operand';
import { opMethod, type OpMethod } from './op-method';

export const negOp = defineElementwise({
  name: 'neg',
  arity: 1,
  snippet,
  cpu: (a) => -a,
  grad: ({ dy }) => [neg(dy)],
});

export const neg = (x: Tensor): Tensor<'f32'> => unary(negOp, x);

export const negMethod: OpMethod<typeof neg> = opMethod(neg, {
  cases: [{ label: 'a matrix', operands: [{ shape: [5, 13] }], args: (x) => [x] }],
  eager: { method: 'neg' },
});
