import snippet from '../../shaders/sub.wgsl';
import type { Tensor } from '../graph/tensor';
import { defineElementwise } from './elementwise';
import { neg } from './neg';
import { binary } from './scalar-operand';
import { sumTo } from './sum';

export const subOp = defineElementwise({
  name: 'sub',
  arity: 2,
  snippet,
  cpu: (a, b) => a - b,
  grad: ({ inputs, dy }) => [sumTo(dy, inputs[0]!.shape), sumTo(neg(dy), inputs[1]!.shape)],
});

export const sub = (a: Tensor | number, b: Tensor | number): Tensor => binary(subOp, a, b);
