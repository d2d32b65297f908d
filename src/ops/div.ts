import snippet from '../../shaders/div.wgsl';
import type { Tensor } from '../graph/tensor';
import { defineElementwise } from './elementwise';
import { mul } from './mul';
import { neg } from './neg';
import { binary } from './scalar-operand';
import { sumTo } from './sum';
import { opMethod, type OpMethod } from './op-method';

export const divOp = defineElementwise({
  name: 'div',
  arity: 2,
  snippet,
  cpu: (a, b) => a / b,
  // d(a/b)/da = 1/b; d(a/b)/db = -a/b^2 = -(a/b)/b, reusing this node's output.
  grad: ({ node, inputs: [a, b], dy }) => [sumTo(div(dy, b!), a!.shape), sumTo(neg(div(mul(dy, node), b!)), b!.shape)],
});

export const div = (a: Tensor | number, b: Tensor | number): Tensor<'f32'> => binary(divOp, a, b);

export const divMethod: OpMethod<typeof div> = opMethod(div, {
  cases: [
    { label: 'same shapes', operands: [{ shape: [67] }, { shape: [67], lo: 0.5, hi: 2 }], args: (a, b) => [a, b] },
    { label: 'broadcasting both ways', operands: [{ shape: [3, 1, 5] }, { shape: [4, 1], lo: 0.5, hi: 2 }], args: (a, b) => [a, b] },
    { label: 'a number over a tensor', operands: [{ shape: [2, 3], lo: 0.5, hi: 2 }], args: (a) => [2.5, a] },
    {
      label: 'by zero: ±inf and nan as in IEEE',
      operands: [
        { shape: [3], data: [1, -1, 0] },
        { shape: [3], data: [0, 0, 0] },
      ],
      args: (a, b) => [a, b],
      gradient: false,
    },
  ],
  eager: { method: 'div' },
});
