// Host-side helpers for preparing data before it becomes a Dataset: standardisation, one-hot
// labels and seeded shuffling. They work on plain typed arrays, row-major, `features` values a row.
import { RandomStream, STREAM } from '../../random/philox';

/** Typed arrays of rows that the helpers take. */
export type Rows = Float32Array | Float64Array | Int32Array | Uint8Array;

function checkRows(what: string, length: number, features: number): number {
  if (!Number.isInteger(features) || features < 1) throw new RangeError(`${what}: features must be a positive integer, got ${features}`);
  if (length % features !== 0 || length === 0) throw new RangeError(`${what}: ${length} values do not divide into rows of ${features}`);
  return length / features;
}

/**
 * The mean and the population standard deviation of each feature (column), as sklearn's
 * StandardScaler computes them; a constant column gets std 1, so standardising leaves it at 0.
 *
 * @example
 * ```ts
 * const { mean, std } = data.meanStd(x, 2);   // x: 1000 rows of 2 features
 * ```
 */
export function meanStd(x: ArrayLike<number>, features: number): { mean: number[]; std: number[] } {
  const n = checkRows('meanStd', x.length, features);
  const mean = new Array<number>(features).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < features; j++) mean[j]! += x[i * features + j]!;
  for (let j = 0; j < features; j++) mean[j]! /= n;
  const std = new Array<number>(features).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < features; j++) std[j]! += (x[i * features + j]! - mean[j]!) ** 2;
  return { mean, std: std.map((s) => Math.sqrt(s / n) || 1) };
}

/**
 * (x - mean) / std per feature, with the statistics given (say, the training set's, applied to the
 * test set) or computed from x; returns them with the result.
 */
export function standardize(x: ArrayLike<number>, features: number, stats: { mean: readonly number[]; std: readonly number[] } = meanStd(x, features)): { x: Float32Array; mean: number[]; std: number[] } {
  checkRows('standardize', x.length, features);
  if (stats.mean.length !== features || stats.std.length !== features) throw new RangeError(`standardize: statistics for ${stats.mean.length} features given, the data has ${features}`);
  const out = new Float32Array(x.length);
  for (let k = 0; k < x.length; k++) out[k] = (x[k]! - stats.mean[k % features]!) / stats.std[k % features]!;
  return { x: out, mean: [...stats.mean], std: [...stats.std] };
}

/** One-hot rows: label k of `classes` becomes a row with 1 at k (torch.nn.functional.one_hot, as f32). */
export function oneHot(labels: ArrayLike<number>, classes: number): Float32Array {
  if (!Number.isInteger(classes) || classes < 1) throw new RangeError(`oneHot: classes must be a positive integer, got ${classes}`);
  const out = new Float32Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) {
    const k = labels[i]!;
    if (!Number.isInteger(k) || k < 0 || k >= classes) throw new RangeError(`oneHot: label ${k} at index ${i} is not in [0, ${classes})`);
    out[i * classes + k] = 1;
  }
  return out;
}

/** A random permutation of 0..n-1 from the seeded generator (torch.randperm under a seed). */
export function permutation(n: number, seed = 0): Int32Array {
  return new RandomStream(seed, STREAM.shuffle).permutation(n);
}

/** The rows of `x` (each `rowSize` values) in the order `rows` gives. */
export function gatherRows<T extends Rows>(x: T, rows: ArrayLike<number>, rowSize = 1): T {
  const n = checkRows('gatherRows', x.length, rowSize);
  const out = new (x.constructor as new (length: number) => T)(rows.length * rowSize);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (!Number.isInteger(r) || r < 0 || r >= n) throw new RangeError(`gatherRows: row ${r} at index ${i} is not in [0, ${n})`);
    out.set(x.subarray(r * rowSize, (r + 1) * rowSize), i * rowSize);
  }
  return out;
}

/**
 * Shuffles examples with the seeded generator, keeping each feature row with its target row: the
 * same seed gives the same order in Node and in a browser.
 *
 * @example
 * ```ts
 * const { x: xs, y: ys } = data.shuffle({ x, y }, { features: 2, seed: 0 });
 * ```
 */
export function shuffle<X extends Rows, Y extends Rows>(examples: { x: X; y: Y }, options: { features?: number; targets?: number; seed?: number } = {}): { x: X; y: Y } {
  const features = options.features ?? 1;
  const targets = options.targets ?? 1;
  const n = checkRows('shuffle', examples.x.length, features);
  if (checkRows('shuffle targets', examples.y.length, targets) !== n) throw new RangeError(`shuffle: ${n} feature rows but ${examples.y.length / targets} target rows`);
  const order = permutation(n, options.seed ?? 0);
  return { x: gatherRows(examples.x, order, features), y: gatherRows(examples.y, order, targets) };
}
