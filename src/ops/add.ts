import snippet from '../../shaders/add.wgsl';
import type { Tensor } from '../graph/tensor';
import { defineElementwise } from './elementwise';
import { binary } from './scalar-operand';
import { sumTo } from './sum';
import { opMethod, type OpMethod } from './op-method';

export const addOp = defineElementwise({
  name: 'add',
  arity: 2,
  snippet,
  cpu: (a, b) => a + b,
  grad: ({ inputs, dy }) => [sumTo(dy, inputs[0]!.shape), sumTo(dy, inputs[1]!.shape)],
});

export const add = (a: Tensor | number, b: Tensor | number): Tensor<'f32'> => binary(addOp, a, b);

export const addMethod: OpMethod<typeof add> = opMethod(add, {
  cases: [
    { label: 'same shapes, not a multiple of 64', operands: [{ shape: [67] }, { shape: [67] }], args: (a, b) => [a, b] },
    { label: 'broadcasting both ways', operands: [{ shape: [3, 1, 5] }, { shape: [4, 1] }], args: (a, b) => [a, b] },
    { label: 'a number on either side', operands: [{ shape: [2, 3] }], args: (a) => [2.5, a] },
  ],
  eager: { method: 'add' },
});
