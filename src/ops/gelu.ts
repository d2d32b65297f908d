// GELU, x Φ(x), as torch.nn.functional.gelu: the exact form (erf) by default, or approximate: 'tanh'
// (GPT-2's). Its backward is an elementwise op of its own (one kernel, fusable with the rest).
import snippet from '../../shaders/gelu.wgsl';
import gradSnippet from '../../shaders/gelu_grad.wgsl';
import type { Tensor } from '../graph/tensor';
import { defineElementwise } from './elementwise';
import { opMethod, type OpMethod } from './op-method';
import { unary } from './scalar-operand';
import { erf, normalPdf } from './special-functions';

export interface GeluAttrs {
  /** The tanh approximation instead of erf. */
  tanh: boolean;
}

const C = Math.sqrt(2 / Math.PI);
const K = 0.044715;

export const geluGradOp = defineElementwise<GeluAttrs>({
  name: 'gelu_grad',
  arity: 2,
  snippet: gradSnippet,
  scalar: (attrs) => (attrs.tanh ? 1 : 0),
  cpu: (x, dy, { tanh }) => {
    if (!tanh) return dy * (0.5 * (1 + erf(x / Math.SQRT2)) + x * normalPdf(x));
    const t = Math.tanh(C * (x + K * x ** 3));
    return dy * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * C * (1 + 3 * K * x * x));
  },
});

export const geluOp = defineElementwise<GeluAttrs>({
  name: 'gelu',
  arity: 1,
  snippet,
  scalar: (attrs) => (attrs.tanh ? 1 : 0),
  cpu: (x, _b, { tanh }) => (tanh ? 0.5 * x * (1 + Math.tanh(C * (x + K * x ** 3))) : 0.5 * x * (1 + erf(x / Math.SQRT2))),
  grad: ({ inputs: [x], attrs, dy }) => [x!.graph.applyF32(geluGradOp, [x!, dy], attrs)],
});

export interface GeluOptions {
  /** 'none' (exact, through erf; the default) or 'tanh', as torch's `approximate`. */
  approximate?: 'none' | 'tanh';
}

/** GELU of every element, as torch.nn.functional.gelu. */
export function gelu(x: Tensor, options: GeluOptions = {}): Tensor<'f32'> {
  const approximate = options.approximate ?? 'none';
  if (approximate !== 'none' && approximate !== 'tanh') throw new RangeError(`gelu: approximate must be 'none' or 'tanh', got '${String(approximate)}'`);
  return unary(geluOp, x, { tanh: approximate === 'tanh' });
}

export const geluMethod: OpMethod<typeof gelu, 'derived'> = opMethod(gelu, {
  cases: [
    { label: 'exact (erf)', operands: [{ shape: [5, 13], lo: -4, hi: 4 }], args: (x) => [x] },
    { label: 'the tanh approximation', operands: [{ shape: [5, 13], lo: -4, hi: 4 }], args: (x) => [x, { approximate: 'tanh' }] },
    { label: 'large magnitudes', operands: [{ shape: [4], data: [30, -30, 8, -8] }], args: (x) => [x], gradient: false },
  ],
});
