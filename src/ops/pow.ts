import snippet from '../../shaders/pow.wgsl';
import type { Tensor } from '../graph/tensor';
import { defineElementwise } from './elementwise';
import { mul } from './mul';
import { unary } from './scalar-operand';
import { opMethod, type OpMethod } from './op-method';

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
export function pow(x: Tensor, exponent: number): Tensor<'f32'> {
  if (!Number.isFinite(exponent)) throw new RangeError(`pow: exponent must be a finite number, got ${exponent}`);
  return unary(powOp, x, { exponent });
}

export const square = (x: Tensor): Tensor<'f32'> => pow(x, 2);

export const powMethod: OpMethod<typeof pow> = opMethod(pow, {
  cases: [
    { label: 'a cube', operands: [{ shape: [5, 13], lo: -2, hi: 2 }], args: (x) => [x, 3] },
    { label: 'a square root', operands: [{ shape: [5, 13], lo: 0.2, hi: 2 }], args: (x) => [x, 0.5] },
    {
      label: 'negative bases: odd powers keep the sign, a fraction is nan',
      operands: [{ shape: [4], data: [-2, -1, 0, 2] }],
      args: (x) => [x, 3],
      gradient: false,
    },
  ],
  eager: { method: 'pow' },
});

export const squareMethod: OpMethod<typeof square> = opMethod(square, {
  cases: [{ label: 'a matrix', operands: [{ shape: [5, 13] }], args: (x) => [x] }],
  eager: { method: 'square' },
});
