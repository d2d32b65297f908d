import snippet from '../../shaders/equal.wgsl';
import type { Tensor } from '../graph/tensor';
import { defineElementwise } from './elementwise';
import { binary } from './scalar-operand';

/** 1 where a == b, else 0; not differentiable (no gradient flows through a comparison). */
export const equalOp = defineElementwise({
  name: 'equal',
  arity: 2,
  snippet,
  cpu: (a, b) => (a === b ? 1 : 0),
  grad: () => [null, null],
});

export const equal = (a: Tensor | number, b: Tensor | number): Tensor => binary(equalOp, a, b);
