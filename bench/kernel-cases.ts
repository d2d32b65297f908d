// The single-kernel workloads both libraries run: f32 matmul at two shapes and the seed net's second
// convolution (forward, input gradient, weight gradient), with their FLOP counts and operands.
import { filled } from './host-data';

export interface MatmulCase {
  id: string;
  label: string;
  m: number;
  k: number;
  n: number;
}

export const MATMUL_CASES: readonly MatmulCase[] = [
  { id: 'matmul-1024', label: 'matmul 1024x1024x1024', m: 1024, k: 1024, n: 1024 },
  { id: 'matmul-fc1', label: 'matmul 64x9216 . 9216x128 (fc1)', m: 64, k: 9216, n: 128 },
];

export const matmulFlops = (c: MatmulCase): number => 2 * c.m * c.k * c.n;

export function matmulOperands(c: MatmulCase): { a: Float32Array; b: Float32Array } {
  return { a: filled(c.m * c.k, 11), b: filled(c.k * c.n, 12) };
}

/** The seed net's conv2: 64 images of 32 channels at 26x26, 64 filters 3x3, stride 1, no padding. */
export const CONV = { batch: 64, inChannels: 32, size: 26, outChannels: 64, kernel: 3 } as const;
export const CONV_OUT = CONV.size - CONV.kernel + 1;

export type ConvKind = 'forward' | 'input-grad' | 'weight-grad';

export const CONV_CASES: readonly { id: string; label: string; kind: ConvKind }[] = [
  { id: 'conv-forward', label: 'conv2d forward 64x32x26x26, 64x3x3', kind: 'forward' },
  { id: 'conv-input-grad', label: 'conv2d input gradient (same shape)', kind: 'input-grad' },
  { id: 'conv-weight-grad', label: 'conv2d weight gradient (same shape)', kind: 'weight-grad' },
];

/** Each of the three is one GEMM of B*OH*OW x CO x C*KH*KW multiply-adds. */
export const CONV_FLOPS = 2 * CONV.batch * CONV_OUT * CONV_OUT * CONV.outChannels * CONV.inChannels * CONV.kernel * CONV.kernel;

/** Operands in Kiln's layouts: x [B,C,H,W], weight [CO,C,KH,KW], dy [B,CO,OH,OW]. */
export function convOperands(): { x: Float32Array; w: Float32Array; dy: Float32Array } {
  return {
    x: filled(CONV.batch * CONV.inChannels * CONV.size * CONV.size, 21),
    w: filled(CONV.outChannels * CONV.inChannels * CONV.kernel * CONV.kernel, 22),
    dy: filled(CONV.batch * CONV.outChannels * CONV_OUT * CONV_OUT, 23),
  };
}

/** Kiln's shapes, as 4-tuples for the layout conversions. */
export const KILN_SHAPES = {
  x: [CONV.batch, CONV.inChannels, CONV.size, CONV.size],
  w: [CONV.outChannels, CONV.inChannels, CONV.kernel, CONV.kernel],
  dy: [CONV.batch, CONV.outChannels, CONV_OUT, CONV_OUT],
} as const satisfies Record<string, readonly [number, number, number, number]>;
