import snippet from '../../shaders/equal.wgsl';
import type { Tensor } from '../graph/tensor';
import { defineElementwise } from './elementwise';
import { binary } from './scalar-operand';
import { opMethod, type OpMethod } from './op-method';

/** 1 where a == b, else 0; not differentiable (no gradient flows through a comparison). */
export const equalOp = defineElementwise({
  name: 'equal',
  arity: 2,
  snippet,
  cpu: (a, b) => (a === b ? 1 : 0),
  grad: () => [null, null],
});

export const equal = (a: Tensor | number, b: Tensor | number): Tensor<'f32'> => binary(equalOp, a, b);

export const equalMethod: OpMethod<typeof equal> = opMethod(equal, {
  cases: [
    {
      label: 'equal and unequal elements, broadcast',
      operands: [
        { shape: [2, 3], data: [1, 2, 3, 3, 2, 1] },
        { shape: [3], data: [1, 5, 3] },
      ],
      args: (a, b) => [a, b],
      gradient: false,
    },
  ],
  eager: { method: 'eq' },
});
