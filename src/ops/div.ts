import snippet from '../../shaders/div.wgsl';
import type { Tensor } from '../graph/tensor';
import { defineElementwise } from './elementwise';
import { mul } from './mul';
import { neg } from './neg';
import { binary } from './scalar-operand';
import { sumTo } from './sum';

export const divOp = defineElementwise({
  name: 'div',
  arity: 2,
  snippet,
  cpu: (a, b) => a / b,
  // d(a/b)/da = 1/b; d(a/b)/db = -a/b^2 = -(a/b)/b, reusing this node's output.
  grad: ({ node, inputs: [a, b], dy }) => [sumTo(div(dy, b!), a!.shape), sumTo(neg(div(mul(dy, node), b!)), b!.shape)],
});

export const div = (a: Tensor | number, b: Tensor | number): Tensor => binary(divOp, a, b);
