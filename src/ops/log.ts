import snippet from '../../shaders/log.wgsl';
import type { Tensor } from '../graph/tensor';
import { div } from './div';
import { defineElementwise } from './elementwise';
import { unary } from './scalar-operand';
import { opMethod, type OpMethod } from './op-method';

export const logOp = defineElementwise({
  name: 'log',
  arity: 1,
  snippet,
  cpu: (a) => Math.log(a),
  grad: ({ inputs: [x], dy }) => [div(dy, x!)],
});

export const log = (x: Tensor): Tensor<'f32'> => unary(logOp, x);

export const logMethod: OpMethod<typeof log> = opMethod(log, {
  cases: [
    { label: 'positive values', operands: [{ shape: [5, 13], lo: 0.2, hi: 3 }], args: (x) => [x] },
    { label: 'log(0) = -inf, log(-1) = nan', operands: [{ shape: [3], data: [0, -1, 2] }], args: (x) => [x], gradient: false },
  ],
  eager: { method: 'log' },
});
