// Batch normalization layers, as torch.nn.BatchNorm1d and BatchNorm2d: a weight (ones) and a bias
// (zeros) per channel, and the buffers running_mean (zeros), running_var (ones) and
// num_batches_tracked, saved with the parameters under PyTorch's names so a checkpoint loads into
// torch with load_state_dict(strict=True). In training mode a step normalizes with the batch's
// statistics and moves the running ones toward them on the GPU (effects of the step, as a dropout
// counter is); in evaluation mode the running statistics normalize.
import { fmt, ShapeError } from '../../graph/shape';
import type { Tensor } from '../../graph/tensor';
import { Variable } from '../../graph/variable';
import { batchNorm } from '../../ops/batch-norm';
import { counterAdd } from '../../ops/counter-add';
import { Module, type ForwardContext } from './module';

export interface BatchNormOptions {
  eps?: number;
  /** How far the running statistics move toward a batch's each step (0.1, as PyTorch). */
  momentum?: number;
  /** Learnable weight and bias (true, as PyTorch). */
  affine?: boolean;
  /** Keep running statistics for evaluation (true); without them, evaluation uses the batch's too. */
  trackRunningStats?: boolean;
}

abstract class BatchNormBase extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number;
  readonly weight: Variable<'f32'> | null;
  readonly bias: Variable<'f32'> | null;
  readonly runningMean: Variable<'f32'> | null;
  readonly runningVar: Variable<'f32'> | null;
  readonly numBatchesTracked: Variable<'i32'> | null;

  constructor(
    protected readonly label: string,
    numFeatures: number,
    options: BatchNormOptions,
  ) {
    super();
    if (!Number.isInteger(numFeatures) || numFeatures < 1)
      throw new RangeError(`${label}: the number of features must be a positive integer, got ${numFeatures}`);
    this.numFeatures = numFeatures;
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum ?? 0.1;
    if (!(this.eps > 0)) throw new RangeError(`${label}: eps must be positive, got ${this.eps}`);
    if (!(this.momentum >= 0 && this.momentum <= 1)) throw new RangeError(`${label}: momentum must be in [0, 1], got ${this.momentum}`);
    const affine = options.affine ?? true;
    const track = options.trackRunningStats ?? true;
    const c = [numFeatures];
    this.weight = affine ? new Variable('weight', c, 'f32', { trainable: true, data: new Float32Array(numFeatures).fill(1) }) : null;
    this.bias = affine ? new Variable('bias', c, 'f32', { trainable: true, data: new Float32Array(numFeatures) }) : null;
    this.runningMean = track ? new Variable('running_mean', c, 'f32') : null;
    this.runningVar = track ? new Variable('running_var', c, 'f32', { data: new Float32Array(numFeatures).fill(1) }) : null;
    this.numBatchesTracked = track ? new Variable('num_batches_tracked', [1], 'i32') : null;
  }

  /** The input ranks this layer takes (2 or 3 for BatchNorm1d, 4 for BatchNorm2d). */
  protected abstract readonly ranks: readonly number[];

  protected override ownBuffers(): [string, Variable][] {
    if (!this.runningMean || !this.runningVar || !this.numBatchesTracked) return [];
    return [
      ['running_mean', this.runningMean],
      ['running_var', this.runningVar],
      ['num_batches_tracked', this.numBatchesTracked],
    ];
  }

  forward(x: Tensor, ctx: ForwardContext): Tensor {
    if (!this.ranks.includes(x.rank)) throw new ShapeError(`${this.label}: input must be of rank ${this.ranks.join(' or ')}, got ${fmt(x.shape)}`);
    if (x.shape[1] !== this.numFeatures) throw new ShapeError(`${this.label}: input has ${x.shape[1]} channels, the layer expects ${this.numFeatures}`);
    const g = x.graph;
    const v = (p: Variable | null): Tensor | null => (p ? g.variable(p) : null);
    const [mean, variance] = [v(this.runningMean), v(this.runningVar)];
    // Without running statistics, evaluation normalizes with the batch's, as PyTorch does.
    const batchStats = ctx.training || !mean;
    const y = batchNorm(x, mean, variance, v(this.weight), v(this.bias), batchStats, this.momentum, this.eps);
    if (ctx.training && this.numBatchesTracked) counterAdd(g.variable(this.numBatchesTracked), 1);
    return y;
  }
}

/** Batch normalization over the channels of [N, C] or [N, C, L] inputs, as torch.nn.BatchNorm1d. */
export class BatchNorm1d extends BatchNormBase {
  protected readonly ranks = [2, 3];
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super('batch_norm1d', numFeatures, options);
  }
}

/** Batch normalization over the channels of [N, C, H, W] inputs, as torch.nn.BatchNorm2d. */
export class BatchNorm2d extends BatchNormBase {
  protected readonly ranks = [4];
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super('batch_norm2d', numFeatures, options);
  }
}
