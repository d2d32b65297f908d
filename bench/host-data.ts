// Host-side data for the kernel workloads: the same deterministic operands go to Kiln and to TensorFlow.js,
// so that their results can be compared element by element. Kiln stores convolutions as PyTorch does
// (input NCHW, weight [CO, C, KH, KW]); TensorFlow.js as TensorFlow does (NHWC, [KH, KW, C, CO]).

/** Values in [-0.5, 0.5) from a 32-bit linear congruential generator: cheap, reproducible, not random-looking enough to matter. */
export function filled(length: number, seed: number): Float32Array {
  const out = new Float32Array(length);
  let s = (seed * 2654435761) >>> 0;
  for (let i = 0; i < length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

/** Reorders a 4-D array: `order[k]` is the source axis that becomes axis k. */
export function permute4(data: Float32Array, shape: readonly [number, number, number, number], order: readonly [number, number, number, number]): Float32Array {
  const strides = [shape[1] * shape[2] * shape[3], shape[2] * shape[3], shape[3], 1];
  const outShape = order.map((axis) => shape[axis]!);
  const out = new Float32Array(data.length);
  const [s0, s1, s2, s3] = order.map((axis) => strides[axis]!) as [number, number, number, number];
  let o = 0;
  for (let a = 0; a < outShape[0]!; a++) {
    for (let b = 0; b < outShape[1]!; b++) {
      for (let c = 0; c < outShape[2]!; c++) {
        const base = a * s0 + b * s1 + c * s2;
        for (let d = 0; d < outShape[3]!; d++) out[o++] = data[base + d * s3]!;
      }
    }
  }
  return out;
}

export const NCHW_TO_NHWC = [0, 2, 3, 1] as const;
export const NHWC_TO_NCHW = [0, 3, 1, 2] as const;
/** Kiln's [CO, C, KH, KW] weight to TensorFlow's [KH, KW, C, CO] filter, and back. */
export const OIHW_TO_HWIO = [2, 3, 1, 0] as const;
export const HWIO_TO_OIHW = [3, 2, 0, 1] as const;

/** The largest difference between two results, relative to the largest magnitude of the reference. */
export function relativeDifference(actual: ArrayLike<number>, reference: ArrayLike<number>): number {
  if (actual.length !== reference.length) throw new RangeError(`results differ in length: ${actual.length} and ${reference.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < reference.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i]! - reference[i]!));
    scale = Math.max(scale, Math.abs(reference[i]!));
  }
  return diff / (scale || 1);
}
