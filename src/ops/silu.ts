// SiLU (swish), x σ(x), as torch.nn.functional.silu; its backward is an elementwise op of its own.
import snippet from '../../shaders/silu.wgsl';
import gradSnippet from '../../shaders/silu_grad.wgsl';
import type { Tensor } from '../graph/tensor';
import { defineElementwise } from './elementwise';
import { opMethod, type OpMethod } from './op-method';
import { binary, unary } from './scalar-operand';

const sigma = (x: number): number => 1 / (1 + Math.exp(-x));

export const siluGradOp = defineElementwise({
  name: 'silu_grad',
  arity: 2,
  snippet: gradSnippet,
  cpu: (x, dy) => dy * sigma(x) * (1 + x * (1 - sigma(x))),
});

export const siluOp = defineElementwise({
  name: 'silu',
  arity: 1,
  snippet,
  cpu: (x) => x * sigma(x),
  grad: ({ inputs: [x], dy }) => [binary(siluGradOp, x!, dy)],
});

export const silu = (x: Tensor): Tensor<'f32'> => unary(siluOp, x);

export const siluMethod: OpMethod<typeof silu, 'derived'> = opMethod(silu, {
  cases: [
    { label: 'a matrix', operands: [{ shape: [5, 13], lo: -5, hi: 5 }], args: (x) => [x] },
    { label: 'large magnitudes', operands: [{ shape: [4], data: [100, -100, 20, -20] }], args: (x) => [x], gradient: false },
  ],
});
