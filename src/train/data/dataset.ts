// A dataset that lives on the GPU: features (bytes or f32) and targets are uploaded once; each batch
// is gathered by a kernel from the epoch's order, so an epoch needs no upload per step.
import { fmt, sizeOf, type Shape } from '../../graph/shape';
import { Variable } from '../../graph/variable';
import { RandomStream, STREAM } from '../../random/philox';
import { flattenNumbers, toFloat32, toInt32, type NumericData } from './host-arrays';
import { gatherRows } from './preprocess';

export interface DatasetSpec {
  name: string;
  /**
   * Every example's features, row-major: a Uint8Array stays bytes on the GPU (images; see `scale`),
   * anything else (Float32Array, Float64Array, number[], nested arrays) becomes f32.
   */
  features: NumericData;
  /** Shape of one example's features, e.g. [1, 28, 28] or [2]; nested `features` give it themselves. */
  featureShape?: Shape;
  /**
   * Class labels (an Int32Array, or any numbers when `classes` is given) or regression targets
   * (anything else, as f32).
   */
  targets: NumericData;
  /** Shape of one example's target: [] for class labels, [1] (the default for flat values) for a scalar regression target. */
  targetShape?: Shape;
  /** Features are read as x * scale + shift, e.g. 1/255 then (x - mean) / std. */
  scale?: number;
  shift?: number;
  /** For class labels: the number of classes; every label must be in [0, classes). */
  classes?: number;
}

/** The spec with its data in the forms the GPU takes. */
interface StoredSpec {
  name: string;
  features: Uint8Array | Float32Array;
  featureShape: Shape;
  targets: Int32Array | Float32Array;
  targetShape: Shape;
  scale: number;
  shift: number;
  classes: number | null;
}

/**
 * Examples for `Trainer.fit`, `evaluate` and `predict`, uploaded to the GPU once.
 *
 * @example
 * ```ts
 * // Two features per example, one regression target each; nested arrays give the shapes.
 * const data = new Dataset({ name: 'houses', features: [[1400, 3], [1600, 3], [1700, 4]], targets: [245, 312, 279] });
 * const [train, valid] = data.split([0.8, 0.2], 0);
 * ```
 */
export class Dataset {
  readonly name: string;
  readonly count: number;
  readonly featureShape: Shape;
  readonly targetShape: Shape;
  readonly scale: number;
  readonly shift: number;
  readonly classes: number | null;
  readonly x: Variable;
  readonly y: Variable;
  /** The order examples are read in this epoch (a permutation when shuffling). */
  readonly order: Variable<'i32'>;
  /** The first row of the next batch; advanced on the GPU by each step. */
  readonly cursor: Variable<'i32'>;
  private readonly spec: StoredSpec;

  constructor(spec: DatasetSpec) {
    const stored = normalizeSpec(spec);
    const { name, features, featureShape, targets, targetShape } = stored;
    const rowSize = sizeOf(featureShape);
    const targetSize = sizeOf(targetShape);
    if (rowSize < 1 || features.length % rowSize !== 0) {
      throw new RangeError(`${name}: ${features.length} feature values do not divide into rows of ${fmt(featureShape)}`);
    }
    const count = features.length / rowSize;
    if (count < 1) throw new RangeError(`${name}: the dataset is empty`);
    if (targets.length !== count * targetSize) {
      throw new RangeError(`${name}: ${count} examples but ${targets.length / targetSize} targets`);
    }
    this.spec = stored;
    this.name = name;
    this.count = count;
    this.featureShape = [...featureShape];
    this.targetShape = [...targetShape];
    this.scale = stored.scale;
    this.shift = stored.shift;
    this.classes = stored.classes;
    // A dataset is bound whole by the batch gather: one too large for a binding needs splitting.
    const tooLarge = `the dataset '${name}' (${count} examples) is bound whole by the batch gather: train on parts that fit (dataset.take(n), dataset.split([...])) or use an adapter with a larger maxStorageBufferBindingSize`;
    const featureType = features instanceof Uint8Array ? 'u8' : 'f32';
    this.x = new Variable(`${name}.x`, [count, ...featureShape], featureType, { data: features, tooLarge });
    this.y = new Variable(`${name}.y`, [count, ...targetShape], targets instanceof Int32Array ? 'i32' : 'f32', { data: targets, tooLarge });
    this.order = new Variable(`${name}.order`, [count], 'i32', { data: Int32Array.from({ length: count }, (_, i) => i) });
    this.cursor = new Variable(`${name}.cursor`, [1], 'i32');
  }

  /** Features of the examples as the host holds them (bytes or f32, before scale and shift), row-major. */
  get features(): Uint8Array | Float32Array {
    return this.spec.features;
  }

  /** Targets as the host holds them: Int32Array labels or f32 values. */
  get targets(): Int32Array | Float32Array {
    return this.spec.targets;
  }

  /** The first n examples as a dataset of their own (PyTorch's Subset(range(n))). */
  take(n: number): Dataset {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`${this.name}: take(${n}) needs a positive integer`);
    if (n >= this.count) return this;
    return this.rows(`${this.name}[:${n}]`, Int32Array.from({ length: n }, (_, i) => i));
  }

  /**
   * A random split into parts with the given fractions of the examples (torch.utils.data.random_split
   * with fractions): `[train, valid] = data.split([0.8, 0.2], seed)`. Fractions must be positive and
   * add up to at most 1; each part gets floor(fraction * count) examples, and where they add up to 1
   * the remainder goes to the first parts, one each, so that every example lands in some part.
   */
  split(fractions: readonly number[], seed = 0): Dataset[] {
    if (fractions.length === 0 || fractions.some((f) => !(typeof f === 'number' && f > 0 && f <= 1))) {
      throw new RangeError(`${this.name}: split() takes fractions in (0, 1], got [${fractions.join(', ')}]`);
    }
    const total = fractions.reduce((a, b) => a + b, 0);
    if (total > 1 + 1e-9) throw new RangeError(`${this.name}: split() fractions add up to ${total}, more than 1`);
    const sizes = fractions.map((f) => Math.floor(f * this.count));
    if (Math.abs(total - 1) <= 1e-9) for (let i = 0, left = this.count - sizes.reduce((a, b) => a + b, 0); left > 0; i = (i + 1) % sizes.length, left--) sizes[i]!++;
    const empty = sizes.findIndex((s) => s === 0);
    if (empty >= 0) throw new RangeError(`${this.name}: split() part ${empty} (fraction ${fractions[empty]}) of ${this.count} examples would be empty`);
    const order = new RandomStream(seed, STREAM.split).permutation(this.count);
    let start = 0;
    return sizes.map((size, i) => {
      const part = this.rows(`${this.name}.split${i}`, order.subarray(start, start + size));
      start += size;
      return part;
    });
  }

  private rows(name: string, rows: Int32Array): Dataset {
    const { features, targets, featureShape, targetShape, scale, shift, classes } = this.spec;
    return new Dataset({
      name,
      features: gatherRows(features, rows, sizeOf(featureShape)),
      featureShape,
      targets: gatherRows(targets, rows, sizeOf(targetShape)),
      targetShape,
      scale,
      shift,
      ...(classes !== null ? { classes } : {}),
    });
  }

  /** Sets the order of the next pass and rewinds the cursor (two small writes, once per epoch). */
  startEpoch(order: Int32Array | null): void {
    this.order.assign(order ?? Int32Array.from({ length: this.count }, (_, i) => i));
    this.cursor.assign(new Int32Array(1));
  }

  /** Frees the GPU copies. */
  async release(): Promise<void> {
    await Promise.all([this.x, this.y, this.order, this.cursor].map((v) => v.release()));
  }
}

function normalizeSpec(spec: DatasetSpec): StoredSpec {
  const { name } = spec;
  if (typeof name !== 'string' || name === '') throw new TypeError('Dataset: a name is needed (it names the dataset in errors)');
  const f = flattenNumbers(`${name} features`, spec.features);
  const featureShape = spec.featureShape ?? f.shape?.slice(1) ?? null;
  if (featureShape === null) throw new RangeError(`${name}: featureShape is needed for flat features (the shape of one example, e.g. [1, 28, 28])`);
  if (f.shape && sizeOf(f.shape.slice(1)) !== sizeOf(featureShape)) {
    throw new RangeError(`${name}: features have rows of shape ${fmt(f.shape.slice(1))}, featureShape says ${fmt(featureShape)}`);
  }
  const features = spec.features instanceof Uint8Array ? spec.features : toFloat32(`${name} features`, f.values);
  const t = flattenNumbers(`${name} targets`, spec.targets);
  const labels = spec.targets instanceof Int32Array || spec.classes !== undefined;
  const targetShape = spec.targetShape ?? (labels ? [] : (t.shape?.slice(1) ?? [1]));
  const targets = labels ? toInt32(`${name} targets`, t.values) : toFloat32(`${name} targets`, t.values);
  let classes: number | null = null;
  if (targets instanceof Int32Array) {
    const n = spec.classes ?? targets.reduce((m, v) => Math.max(m, v), 0) + 1;
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`${name}: classes must be a positive integer, got ${spec.classes}`);
    classes = n;
    const bad = targets.findIndex((v) => !(v >= 0 && v < n));
    if (bad >= 0) throw new RangeError(`${name}: label ${targets[bad]} at index ${bad} is out of range for ${n} classes`);
  }
  return { name, features, featureShape: [...featureShape], targets, targetShape: [...targetShape], scale: spec.scale ?? 1, shift: spec.shift ?? 0, classes };
}
