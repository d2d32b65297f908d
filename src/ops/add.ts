import snippet from '../../shaders/add.wgsl';
import type { Tensor } from '../graph/tensor';
import { defineElementwise } from './elementwise';
import { binary } from './scalar-operand';
import { sumTo } from './sum';

export const addOp = defineElementwise({
  name: 'add',
  arity: 2,
  snippet,
  cpu: (a, b) => a + b,
  grad: ({ inputs, dy }) => [sumTo(dy, inputs[0]!.shape), sumTo(dy, inputs[1]!.shape)],
});

export const add = (a: Tensor | number, b: Tensor | number): Tensor => binary(addOp, a, b);
