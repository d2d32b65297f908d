// Dropout driven by Philox on the GPU (four draws per Philox block). Inputs: x (f32, any shape) and step (i32 [1], a counter the
// layer advances once per training step). The keep mask is a pure function of (key, step, element),
// so nothing is stored between forward and backward: the gradient is this same op applied to dy,
// which regenerates the forward's mask (effects such as the step's counter_add run after every value
// of a step, so both passes of one step read the same step value).
import philox from '../../shaders/philox.wgsl';
import kernel from '../../shaders/dropout.wgsl';
import { fmt, ShapeError, sizeOf } from '../graph/shape';
import type { Tensor } from '../graph/tensor';
import { philox4x32 } from '../random/philox';
import { defineOp, dispatch1d, tunableCall, type KernelVariant } from './op';
import { opMethod, type OpMethod } from './op-method';

const code = `${philox}\n${kernel}`;

/** Which elements a dropout mask drops: the same for the dropout op and for fused attention's weights. */
export interface DropoutMask {
  /** Probability of dropping an element, in [0, 1]. */
  p: number;
  /** The Philox key: two u32 seed words (a layer draws them once, at construction). */
  key0: number;
  key1: number;
}

export interface DropoutAttrs extends DropoutMask {
  /** Consecutive elements sharing one draw: 1 for dropout, H * W for dropout2d (whole channels). */
  channelSize: number;
}

export type DropoutOptions = DropoutMask & { channelSize?: number };

/** Draws below this are dropped: round(p * 2^32), clamped to u32 (p = 1 is handled apart). */
export function dropoutThreshold(p: number): number {
  return Math.min(Math.round(p * 2 ** 32), 0xffffffff);
}

/** The factor applied to kept values, rounded to f32 as the kernel uses it (0 when p = 1: nothing is kept). */
export function dropoutScale(p: number): number {
  return p === 1 ? 0 : Math.fround(1 / (1 - p));
}

/** The uniform shaders/dropout.wgsl reads (and fused attention's mask): key, threshold, the scale's bits, drop-all, padding. */
export function dropoutParams({ p, key0, key1 }: DropoutMask): Uint32Array {
  return Uint32Array.of(key0, key1, dropoutThreshold(p), new Uint32Array(Float32Array.of(dropoutScale(p)).buffer)[0]!, p === 1 ? 1 : 0, 0, 0, 0);
}

/** A RangeError naming `op` unless p is a probability and the key two u32 words. */
export function checkDropoutMask(op: string, { p, key0, key1 }: DropoutMask): void {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`${op}: p must be a probability in [0, 1], got ${p}`);
  for (const [name, k] of [
    ['key0', key0],
    ['key1', key1],
  ] as const) {
    if (!Number.isInteger(k) || k < 0 || k > 0xffffffff) throw new RangeError(`${op}: ${name} must be a u32, got ${k}`);
  }
}

function checkAttrs(attrs: DropoutAttrs): void {
  checkDropoutMask('dropout', attrs);
  const { channelSize } = attrs;
  if (!Number.isInteger(channelSize) || channelSize < 1) throw new RangeError(`dropout: channelSize must be a positive integer, got ${channelSize}`);
}

export const dropoutOp = defineOp<DropoutAttrs>({
  name: 'dropout',
  infer([x, step], attrs) {
    checkAttrs(attrs);
    if (x!.dtype !== 'f32') throw new ShapeError(`dropout: input must be f32, got ${x!.dtype}${fmt(x!.shape)}`);
    if (step!.dtype !== 'i32' || step!.shape.length !== 1 || step!.shape[0] !== 1) {
      throw new ShapeError(`dropout: the step must be an i32 tensor of shape [1], got ${step!.dtype}${fmt(step!.shape)}`);
    }
    if (sizeOf(x!.shape) % attrs.channelSize !== 0) {
      throw new ShapeError(`dropout: channelSize ${attrs.channelSize} does not divide the ${sizeOf(x!.shape)} elements of ${fmt(x!.shape)}`);
    }
    return { shape: x!.shape, dtype: 'f32' };
  },
  lower(node, attrs) {
    const n = node.size;
    // Key, threshold and scale go in a uniform rather than override constants, so every dropout
    // layer of one shape shares a pipeline.
    const params = dropoutParams(attrs);
    // One invocation per Philox block (the default), or per element on hardware adapters (see the shader).
    const variants: KernelVariant[] = [
      { name: 'blocks', constants: { PER_ELEMENT: 0 }, workgroups: dispatch1d(Math.ceil(n / attrs.channelSize / 4)), code },
      { name: 'elements', constants: { PER_ELEMENT: 1 }, workgroups: dispatch1d(n), code, needs: { hardware: true } },
    ];
    return [
      tunableCall({ constants: { N: n, CHANNEL: attrs.channelSize }, bindings: [{ input: 0 }, { input: 1 }, { output: true }, { uniform: params }] }, variants),
    ];
  },
  // dx = dy * mask / (1 - p) with the forward's mask, regenerated from the same key and step.
  grad: ({ inputs: [, step], attrs, dy }) => [dropout(dy, step!, attrs), null],
  cpu([x, step], attrs, out) {
    const threshold = dropoutThreshold(attrs.p);
    const scale = dropoutScale(attrs.p);
    const stepWord = step!.data[0]! >>> 0;
    const block = new Uint32Array(4);
    const data = new Float64Array(x!.data.length);
    // Draw j is word j % 4 of the Philox block at counter (j / 4, step, 0, 0).
    for (let j = 0; j * attrs.channelSize < data.length; j++) {
      if (j % 4 === 0) philox4x32([j / 4, stepWord, 0, 0], [attrs.key0, attrs.key1], block);
      if (attrs.p === 1 || block[j % 4]! < threshold) continue;
      for (let i = j * attrs.channelSize; i < (j + 1) * attrs.channelSize; i++) data[i] = x!.data[i]! * scale;
    }
    return { shape: out.shape, dtype: 'f32', data };
  },
});

/** Zeroes each element (or each block of channelSize elements) with probability p and scales the rest by 1 / (1 - p). */
export function dropout(x: Tensor, step: Tensor, options: DropoutOptions): Tensor<'f32'> {
  const attrs: DropoutAttrs = { p: options.p, key0: options.key0, key1: options.key1, channelSize: options.channelSize ?? 1 };
  checkAttrs(attrs);
  return x.graph.applyF32(dropoutOp, [x, step], attrs);
}

export const dropoutMethod: OpMethod<typeof dropout> = opMethod(dropout, {
  cases: [
    {
      label: 'p = 0.5 at step 3',
      operands: [{ shape: [8, 9] }, { shape: [1], dtype: 'i32', data: [3] }],
      args: (x, step) => [x, step, { p: 0.5, key0: 0x1234abcd, key1: 0x0badf00d }],
    },
    {
      label: 'whole channels (dropout2d)',
      operands: [{ shape: [2, 4, 3, 3] }, { shape: [1], dtype: 'i32', data: [7] }],
      args: (x, step) => [x, step, { p: 0.3, key0: 0x1234abcd, key1: 0x0badf00d, channelSize: 9 }],
    },
  ],
  eager: { functional: 'dropout' },
});
