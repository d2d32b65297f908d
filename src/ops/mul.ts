import snippet from '../../shaders/mul.wgsl';
import type { Tensor } from '../graph/tensor';
import { defineElementwise } from './elementwise';
import { binary } from './scalar-operand';
import { sumTo } from './sum';

export const mulOp = defineElementwise({
  name: 'mul',
  arity: 2,
  snippet,
  cpu: (a, b) => a * b,
  grad: ({ inputs: [a, b], dy }) => [sumTo(mul(dy, b!), a!.shape), sumTo(mul(dy, a!), b!.shape)],
});

export const mul = (a: Tensor | number, b: Tensor | number): Tensor => binary(mulOp, a, b);
