// split and chunk, as torch.split and torch.chunk: consecutive slices of one axis. Their gradients
// are slice_grads that autodiff sums; concat is the inverse.
import { normalizeAxis, ShapeError, type DType } from '../graph/shape';
import type { Tensor } from '../graph/tensor';
import { slice } from './slice';

/**
 * Pieces of `x` along `axis`: of `sizes` elements each when an array (they must add up to the
 * axis), else of `sizes` elements each with a smaller last one, as torch.split.
 */
export function split<D extends DType>(x: Tensor<D>, sizes: number | readonly number[], axis = 0): Tensor<D>[] {
  const a = normalizeAxis('split', axis, x.shape.length);
  let at = 0;
  return splitSizes(x.shape[a]!, sizes, a).map((size) => {
    const starts = x.shape.map((_, i) => (i === a ? at : 0));
    at += size;
    return slice(
      x,
      starts,
      x.shape.map((d, i) => (i === a ? size : d)),
    );
  });
}

/** The pieces' sizes when an axis of `n` elements is split by `sizes` (as split() reads it). */
export function splitSizes(n: number, sizes: number | readonly number[], axis: number): number[] {
  if (typeof sizes === 'number') {
    if (!Number.isInteger(sizes) || sizes < 1) throw new ShapeError(`split: the piece size must be a positive integer, got ${sizes}`);
    return Array.from({ length: Math.ceil(n / sizes) }, (_, i) => Math.min(sizes, n - i * sizes));
  }
  if (sizes.some((s) => !Number.isInteger(s) || s < 1)) throw new ShapeError(`split: piece sizes must be positive integers, got [${sizes.join(', ')}]`);
  const total = sizes.reduce((s, k) => s + k, 0);
  if (total !== n) throw new ShapeError(`split: piece sizes [${sizes.join(', ')}] add up to ${total}, but axis ${axis} has ${n} elements`);
  return [...sizes];
}

/** `chunks` pieces of `x` along `axis`, the last smaller when the axis does not divide, as torch.chunk. */
export function chunk<D extends DType>(x: Tensor<D>, chunks: number, axis = 0): Tensor<D>[] {
  if (!Number.isInteger(chunks) || chunks < 1) throw new ShapeError(`chunk: the number of chunks must be a positive integer, got ${chunks}`);
  const n = x.shape[normalizeAxis('chunk', axis, x.shape.length)]!;
  return split(x, Math.ceil(n / chunks), axis);
}
