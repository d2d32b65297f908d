// Window geometry of 2-D pooling over NCHW tensors, shared by max_pool2d and its gradient: attribute
// checks, output sizes, the override constants of shaders/pool_window.wgsl and the CPU twin of its
// window_max() (first maximum in row-major tap order, padding skipped as -inf).
import { fmt, ShapeError, type Shape } from '../graph/shape';

export type Pair = readonly [number, number];

export interface Pool2dAttrs {
  kernel: Pair;
  stride: Pair;
  padding: Pair;
  dilation: Pair;
}

/** A size given as one number for both axes, or as [height, width]. */
export type Size2 = number | Pair;

export const pair = (v: Size2): Pair => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

const fmtPair = (p: Pair): string => `[${p[0]},${p[1]}]`;

/** Output extent along one axis: floor((in + 2p - d(k-1) - 1) / s) + 1 (no ceil_mode). */
export function pooledSize(size: number, k: number, s: number, p: number, d: number): number {
  return Math.floor((size + 2 * p - d * (k - 1) - 1) / s) + 1;
}

/** Checks the attributes against an input shape and returns the output shape [N, C, OH, OW]. */
export function pool2dOutputShape(op: string, input: Shape, { kernel, stride, padding, dilation }: Pool2dAttrs): Shape {
  if (input.length !== 4) throw new ShapeError(`${op}: input must be 4-D [N,C,H,W], got ${fmt(input)}`);
  const positive = (p: Pair) => p.every((v) => Number.isInteger(v) && v >= 1);
  if (!positive(kernel)) throw new ShapeError(`${op}: kernel size must be positive integers, got ${fmtPair(kernel)}`);
  if (!positive(stride)) throw new ShapeError(`${op}: stride must be positive integers, got ${fmtPair(stride)}`);
  if (!positive(dilation)) throw new ShapeError(`${op}: dilation must be positive integers, got ${fmtPair(dilation)}`);
  if (!padding.every((v) => Number.isInteger(v) && v >= 0)) throw new ShapeError(`${op}: padding must be non-negative integers, got ${fmtPair(padding)}`);
  // PyTorch's rule: with more padding than half the kernel, a window could hold only padding.
  if (padding[0] > kernel[0] / 2 || padding[1] > kernel[1] / 2) {
    throw new ShapeError(`${op}: padding ${fmtPair(padding)} must be at most half the kernel size ${fmtPair(kernel)}`);
  }
  const [, , h, w] = input as [number, number, number, number];
  const oh = pooledSize(h, kernel[0], stride[0], padding[0], dilation[0]);
  const ow = pooledSize(w, kernel[1], stride[1], padding[1], dilation[1]);
  if (oh < 1 || ow < 1) {
    throw new ShapeError(
      `${op}: input ${fmt(input)} is too small for kernel ${fmtPair(kernel)} with padding ${fmtPair(padding)} and dilation ${fmtPair(dilation)} (output would be ${oh}x${ow})`,
    );
  }
  return [input[0]!, input[1]!, oh, ow];
}

/** Override constants of shaders/pool_window.wgsl. */
export function pool2dConstants(input: Shape, output: Shape, { kernel, stride, padding, dilation }: Pool2dAttrs): Record<string, number> {
  return {
    H: input[2]!,
    W: input[3]!,
    OH: output[2]!,
    OW: output[3]!,
    KH: kernel[0],
    KW: kernel[1],
    SH: stride[0],
    SW: stride[1],
    PH: padding[0],
    PW: padding[1],
    DH: dilation[0],
    DW: dilation[1],
  };
}

/** Windows that cover the input exactly once each (stride = kernel, no padding or dilation, no remainder). */
export function tilesExactly(c: Record<string, number>): boolean {
  const { H, W, OH, OW, KH, KW, SH, SW, PH, PW, DH, DW } = c as Record<string, number>;
  return SH === KH && SW === KW && PH === 0 && PW === 0 && DH === 1 && DW === 1 && H === OH! * KH && W === OW! * KW;
}

/**
 * Index within its plane (ih * W + iw) of the maximum of window (oh, ow) of the plane starting at
 * data[plane], or -1 when every tap is padding. Mirrors window_max() in shaders/pool_window.wgsl.
 */
export function windowArgmax(data: Float64Array, plane: number, h: number, w: number, oh: number, ow: number, a: Pool2dAttrs): number {
  let best = -1;
  let value = -Infinity;
  for (let i = 0; i < a.kernel[0]; i++) {
    const ih = oh * a.stride[0] - a.padding[0] + i * a.dilation[0];
    if (ih < 0 || ih >= h) continue;
    for (let j = 0; j < a.kernel[1]; j++) {
      const iw = ow * a.stride[1] - a.padding[1] + j * a.dilation[1];
      if (iw < 0 || iw >= w) continue;
      const v = data[plane + ih * w + iw]!;
      if (best < 0 || v > value) [best, value] = [ih * w + iw, v];
    }
  }
  return best;
}
