import snippet from '../../shaders/sub.wgsl';
import type { Tensor } from '../graph/tensor';
import { defineElementwise } from './elementwise';
import { neg } from './neg';
import { binary } from './scalar-operand';
import { sumTo } from './sum';
import { opMethod, type OpMethod } from './op-method';

export const subOp = defineElementwise({
  name: 'sub',
  arity: 2,
  snippet,
  cpu: (a, b) => a - b,
  grad: ({ inputs, dy }) => [sumTo(dy, inputs[0]!.shape), sumTo(neg(dy), inputs[1]!.shape)],
});

export const sub = (a: Tensor | number, b: Tensor | number): Tensor<'f32'> => binary(subOp, a, b);

export const subMethod: OpMethod<typeof sub> = opMethod(sub, {
  cases: [
    { label: 'same shapes, not a multiple of 64', operands: [{ shape: [67] }, { shape: [67] }], args: (a, b) => [a, b] },
    { label: 'broadcasting both ways', operands: [{ shape: [3, 1, 5] }, { shape: [4, 1] }], args: (a, b) => [a, b] },
    { label: 'a number on the left', operands: [{ shape: [2, 3] }], args: (a) => [1, a] },
  ],
  eager: { method: 'sub' },
});
