import snippet from '../../shaders/log.wgsl';
import type { Tensor } from '../graph/tensor';
import { div } from './div';
import { defineElementwise } from './elementwise';
import { unary } from './scalar-operand';

export const logOp = defineElementwise({
  name: 'log',
  arity: 1,
  snippet,
  cpu: (a) => Math.log(a),
  grad: ({ inputs: [x], dy }) => [div(dy, x!)],
});

export const log = (x: Tensor): Tensor => unary(logOp, x);
