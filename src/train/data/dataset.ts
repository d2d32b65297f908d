// A dataset that lives on the GPU: features (bytes or f32) and targets are uploaded once; each batch
// is gathered by a kernel from the epoch's order, so an epoch needs no upload per step.
import { fmt, sizeOf, type Shape } from '../../graph/shape';
import { Variable } from '../../graph/variable';

export interface DatasetSpec {
  name: string;
  /** Row-major features of every example: bytes (images) or f32. */
  features: Uint8Array | Float32Array;
  /** Shape of one example's features, e.g. [1, 28, 28] or [2]. */
  featureShape: Shape;
  /** Class labels (i32, one per example) or regression targets (f32, targetShape per example). */
  targets: Int32Array | Float32Array;
  /** Shape of one example's target: [] for class labels, [1] for a scalar regression target. */
  targetShape?: Shape;
  /** Features are read as x * scale + shift, e.g. 1/255 then (x - mean) / std. */
  scale?: number;
  shift?: number;
  /** For class labels: the number of classes; every label must be in [0, classes). */
  classes?: number;
}

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
  readonly order: Variable;
  /** The first row of the next batch; advanced on the GPU by each step. */
  readonly cursor: Variable;
  private readonly spec: DatasetSpec;

  constructor(spec: DatasetSpec) {
    const rowSize = sizeOf(spec.featureShape);
    const targetShape = spec.targetShape ?? (spec.targets instanceof Int32Array ? [] : [1]);
    const targetSize = sizeOf(targetShape);
    if (rowSize < 1 || spec.features.length % rowSize !== 0) {
      throw new RangeError(`${spec.name}: ${spec.features.length} feature values do not divide into rows of ${fmt(spec.featureShape)}`);
    }
    const count = spec.features.length / rowSize;
    if (count < 1) throw new RangeError(`${spec.name}: the dataset is empty`);
    if (spec.targets.length !== count * targetSize) {
      throw new RangeError(`${spec.name}: ${count} examples but ${spec.targets.length / targetSize} targets`);
    }
    if (spec.targets instanceof Int32Array) {
      const classes = spec.classes ?? spec.targets.reduce((m, t) => Math.max(m, t), 0) + 1;
      const bad = spec.targets.findIndex((t) => !(t >= 0 && t < classes));
      if (bad >= 0) throw new RangeError(`${spec.name}: label ${spec.targets[bad]} at index ${bad} is out of range for ${classes} classes`);
      this.classes = classes;
    } else {
      this.classes = null;
    }
    this.spec = spec;
    this.name = spec.name;
    this.count = count;
    this.featureShape = [...spec.featureShape];
    this.targetShape = targetShape;
    this.scale = spec.scale ?? 1;
    this.shift = spec.shift ?? 0;
    const featureType = spec.features instanceof Uint8Array ? 'u8' : 'f32';
    // Variables check f32 data for NaN and infinity: bad input fails here, with the index.
    this.x = new Variable(`${spec.name}.x`, [count, ...spec.featureShape], featureType, { data: spec.features });
    this.y = new Variable(`${spec.name}.y`, [count, ...targetShape], spec.targets instanceof Int32Array ? 'i32' : 'f32', { data: spec.targets });
    this.order = new Variable(`${spec.name}.order`, [count], 'i32', { data: Int32Array.from({ length: count }, (_, i) => i) });
    this.cursor = new Variable(`${spec.name}.cursor`, [1], 'i32');
  }

  /** The first n examples as a dataset of their own (PyTorch's Subset(range(n))). */
  take(n: number): Dataset {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`${this.name}: take(${n}) needs a positive integer`);
    if (n >= this.count) return this;
    const rowSize = sizeOf(this.featureShape);
    const targetSize = sizeOf(this.targetShape);
    return new Dataset({
      ...this.spec,
      name: `${this.name}[:${n}]`,
      features: this.spec.features.slice(0, n * rowSize),
      targets: this.spec.targets.slice(0, n * targetSize),
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
