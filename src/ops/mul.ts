import snippet from '../../shaders/mul.wgsl';
import type { Tensor } from '../graph/tensor';
import { defineElementwise } from './elementwise';
import { binary } from './scalar-operand';
import { sumTo } from './sum';
import { opMethod, type OpMethod } from './op-method';

export const mulOp = defineElementwise({
  name: 'mul',
  arity: 2,
  snippet,
  cpu: (a, b) => a * b,
  grad: ({ inputs: [a, b], dy }) => [sumTo(mul(dy, b!), a!.shape), sumTo(mul(dy, a!), b!.shape)],
});

export const mul = (a: Tensor | number, b: Tensor | number): Tensor<'f32'> => binary(mulOp, a, b);

export const mulMethod: OpMethod<typeof mul> = opMethod(mul, {
  cases: [
    { label: 'same shapes, not a multiple of 64', operands: [{ shape: [67] }, { shape: [67] }], args: (a, b) => [a, b] },
    { label: 'broadcasting both ways', operands: [{ shape: [3, 1, 5] }, { shape: [4, 1] }], args: (a, b) => [a, b] },
    { label: 'a rank-0 operand', operands: [{ shape: [2, 3] }, { shape: [] }], args: (a, b) => [a, b] },
  ],
  eager: { method: 'mul' },
});
