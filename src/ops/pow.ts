import snippet from '../../shaders/pow.wgsl';
import type { Tensor } from '../graph/tensor';
import { defineElementwise } from './elementwise';
import { mul } from './mul';
import { unary } from './scalar-operand';

export interface PowAttrs {
  exponent: number;
}

export const powOp = defineElementwise<PowAttrs>({
  name: 'pow',
  arity: 1,
  snippet,
  scalar: (attrs) => attrs.exponent,
  cpu: (a, _b, { exponent }) => Math.pow(a, exponent),
  // d(x^p)/dx = p * x^(p-1)
  grad: ({ inputs: [x], attrs: { exponent }, dy }) => [exponent === 1 ? dy : mul(dy, mul(exponent === 2 ? x! : pow(x!, exponent - 1), exponent))],
});

/** x raised to a fixed scalar exponent (x ** p). */
export function pow(x: Tensor, exponent: number): Tensor {
  if (!Number.isFinite(exponent)) throw new RangeError(`pow: exponent must be a finite number, got ${exponent}`);
  return unary(powOp, x, { exponent });
}

export const square = (x: Tensor): Tensor => pow(x, 2);
