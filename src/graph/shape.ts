// Shape arithmetic shared by op definitions: sizes, strides, broadcasting, axis normalisation.
export type Shape = readonly number[];
/**
 * Element types of graph tensors. f16 exists only inside a graph, made by `cast` (the operands of
 * products under `precision: 'f16-mixed'`): it has no host data, no Variable and no graph input.
 */
export type DType = 'f32' | 'i32' | 'u8' | 'f16';

/** Raised when a node is added with inputs it cannot take; the message names the op. */
export class ShapeError extends Error {
  override name = 'ShapeError';
}

export const fmt = (shape: Shape): string => `[${shape.join(',')}]`;

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

/**
 * Bytes of `count` elements as stored on the GPU, whole 32-bit words: u8 data packed four to a word,
 * f16 two to a word (element 2i in the low half, as WGSL's pack2x16float and array<f16> lay them out).
 */
export function bytesOf(dtype: DType, count: number): number {
  if (dtype === 'u8') return Math.ceil(count / 4) * 4;
  if (dtype === 'f16') return Math.ceil(count / 2) * 4;
  return count * 4;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function checkShape(op: string, shape: Shape): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 1) throw new ShapeError(`${op}: invalid shape ${fmt(shape)} (dimensions must be positive integers)`);
  }
}

/** NumPy / PyTorch broadcasting of two shapes, or a ShapeError naming the op. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(`${op}: shapes ${fmt(a)} and ${fmt(b)} cannot be broadcast (dimension ${i} is ${da} vs ${db})`);
    }
    out[i] = Math.max(da, db);
  }
  return out;
}

/** Strides to read an input of `shape` at each index of `out` under broadcasting (0 on broadcast axes). */
export function broadcastStrides(shape: Shape, out: Shape): number[] {
  const own = stridesOf(shape);
  const offset = out.length - shape.length;
  return out.map((_, i) => {
    const j = i - offset;
    if (j < 0 || shape[j] === 1) return 0;
    return own[j]!;
  });
}

/** An axis in [-rank, rank) made non-negative, or a ShapeError. */
export function normalizeAxis(op: string, axis: number, rank: number): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= Math.max(rank, 1)) {
    throw new ShapeError(`${op}: axis ${axis} is out of range for a tensor of rank ${rank}`);
  }
  return axis < 0 ? axis + rank : axis;
}

/** Splits a shape around one axis into [outer, length, inner] for reductions and softmax. */
export function splitAtAxis(shape: Shape, axis: number): { outer: number; length: number; inner: number } {
  return {
    outer: sizeOf(shape.slice(0, axis)),
    length: shape[axis] ?? 1,
    inner: sizeOf(shape.slice(axis + 1)),
  };
}
