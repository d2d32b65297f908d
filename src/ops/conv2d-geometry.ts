// The geometry shared by conv2d and its two gradient ops: options as PyTorch takes them (an int or a
// pair), the output size, and the override constants every conv kernel declares.
import { fmt, ShapeError, type Shape } from '../graph/shape';

import type { Pair } from './pool2d-window';

export type { Pair };

export interface Conv2dOptions {
  stride?: number | Pair;
  padding?: number | Pair;
  dilation?: number | Pair;
}

export interface Conv2dAttrs {
  stride: Pair;
  padding: Pair;
  dilation: Pair;
}

/** Everything a conv kernel needs: input [B,C,H,W], weight [CO,C,KH,KW], output [B,CO,OH,OW]. */
export interface ConvGeometry {
  B: number;
  C: number;
  H: number;
  W: number;
  CO: number;
  KH: number;
  KW: number;
  SH: number;
  SW: number;
  PH: number;
  PW: number;
  DH: number;
  DW: number;
  OH: number;
  OW: number;
}

function pair(op: string, what: string, v: number | Pair, min: number): Pair {
  const p: Pair = typeof v === 'number' ? [v, v] : v;
  if (p.length !== 2 || !p.every((d) => Number.isInteger(d) && d >= min)) {
    throw new ShapeError(`${op}: ${what} must be an integer >= ${min} or a pair of them, got ${JSON.stringify(v)}`);
  }
  return [p[0], p[1]];
}

export function convAttrs(op: string, options: Conv2dOptions): Conv2dAttrs {
  return {
    stride: pair(op, 'stride', options.stride ?? 1, 1),
    padding: pair(op, 'padding', options.padding ?? 0, 0),
    dilation: pair(op, 'dilation', options.dilation ?? 1, 1),
  };
}

/** floor((size + 2p - d(k-1) - 1) / s) + 1, as torch.nn.Conv2d; an error when the window does not fit. */
export function outputSize(op: string, input: Shape, kernel: Pair, { stride, padding, dilation }: Conv2dAttrs): Pair {
  const out = [0, 1].map((i) => Math.floor((input[i]! + 2 * padding[i]! - dilation[i]! * (kernel[i]! - 1) - 1) / stride[i]!) + 1);
  if (out[0]! < 1 || out[1]! < 1) {
    const span = kernel.map((k, i) => dilation[i]! * (k - 1) + 1);
    throw new ShapeError(
      `${op}: the ${kernel.join('x')} kernel (spanning ${span.join('x')} with dilation) is larger than the padded input ${input.map((d, i) => d + 2 * padding[i]!).join('x')}`,
    );
  }
  return [out[0]!, out[1]!];
}

export function geometry(x: Shape, w: Shape, attrs: Conv2dAttrs): ConvGeometry {
  const [B, C, H, W] = x as [number, number, number, number];
  const [CO, , KH, KW] = w as [number, number, number, number];
  const [OH, OW] = outputSize('conv2d', [H, W], [KH, KW], attrs);
  return {
    B,
    C,
    H,
    W,
    CO,
    KH,
    KW,
    OH,
    OW,
    SH: attrs.stride[0],
    SW: attrs.stride[1],
    PH: attrs.padding[0],
    PW: attrs.padding[1],
    DH: attrs.dilation[0],
    DW: attrs.dilation[1],
  };
}

export function geometryConstants(g: ConvGeometry): Record<string, number> {
  return { ...g };
}

export const hasPadding = (attrs: Conv2dAttrs): boolean => attrs.padding[0] > 0 || attrs.padding[1] > 0;

export function check4d(op: string, what: string, shape: Shape): void {
  if (shape.length !== 4) throw new ShapeError(`${op}: ${what} must be 4-D, got ${fmt(shape)}`);
}

/** Visits every (output pixel, tap) pair that reads inside the input, in float64 for the CPU references. */
export function forEachTap(g: ConvGeometry, visit: (n: number, oh: number, ow: number, kh: number, kw: number, ih: number, iw: number) => void): void {
  for (let n = 0; n < g.B; n++) {
    for (let oh = 0; oh < g.OH; oh++) {
      for (let ow = 0; ow < g.OW; ow++) {
        for (let kh = 0; kh < g.KH; kh++) {
          const ih = oh * g.SH - g.PH + kh * g.DH;
          if (ih < 0 || ih >= g.H) continue;
          for (let kw = 0; kw < g.KW; kw++) {
            const iw = ow * g.SW - g.PW + kw * g.DW;
            if (iw >= 0 && iw < g.W) visit(n, oh, ow, kh, kw, ih, iw);
          }
        }
      }
    }
  }
}
