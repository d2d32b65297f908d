// Dropout layers, as torch.nn.Dropout and nn.Dropout2d. Each layer draws its Philox key from the
// dropout key stream when it is built (manualSeed() seeds it, so masks are reproducible; it is not
// the init stream, so layers without parameters leave the others' initial weights as PyTorch has
// them) and owns an i32 step counter that lives on the GPU: the training forward reads it to pick this step's mask and adds a
// counter_add that advances it after the step, so many steps run in one submit with fresh masks
// and no host work. The counter is state, not a parameter: optimizers never see it.
import type { Graph } from '../../graph/graph';
import { fmt, ShapeError } from '../../graph/shape';
import type { WeightDropout } from '../../ops/attention';
import type { Tensor } from '../../graph/tensor';
import { Variable } from '../../graph/variable';
import { counterAdd } from '../../ops/counter-add';
import { dropout } from '../../ops/dropout';
import { dropoutKeyStream } from '../../random/philox';
import { Module, type ForwardContext } from './module';

export abstract class DropoutBase extends Module {
  readonly p: number;
  /** The training step counter that selects the mask (not trainable, not a parameter). */
  readonly step: Variable<'i32'>;
  readonly key: readonly [number, number];

  constructor(label: string, p: number) {
    super();
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new RangeError(`${label}: p must be a probability in [0, 1], got ${p}`);
    this.p = p;
    const stream = dropoutKeyStream();
    this.key = [stream.nextU32(), stream.nextU32()];
    this.step = new Variable(`${label}.step`, [1], 'i32');
  }

  /** Elements per random draw of input x: 1 for dropout, H * W for dropout2d. */
  protected abstract channelSize(x: Tensor): number;

  forward(x: Tensor, ctx: ForwardContext): Tensor {
    if (!ctx.training) return x;
    const step = x.graph.variable(this.step);
    const y = dropout(x, step, { p: this.p, key0: this.key[0], key1: this.key[1], channelSize: this.channelSize(x) });
    // An effect: scheduled after every value of the step, so the backward pass sees the same step.
    counterAdd(step, 1);
    return y;
  }

  /**
   * This step's mask as attributes, for an op that applies it inside its own kernels (fused
   * attention drops its weights so): null outside training. Advances the step as forward does.
   */
  mask(graph: Graph, ctx: ForwardContext): WeightDropout | null {
    if (!ctx.training) return null;
    const step = graph.variable(this.step);
    counterAdd(step, 1);
    return { p: this.p, key0: this.key[0], key1: this.key[1], step };
  }
}

/** Zeroes each element with probability p during training and scales the rest by 1 / (1 - p). */
export class Dropout extends DropoutBase {
  constructor(p = 0.5) {
    super('dropout', p);
  }

  protected channelSize(): number {
    return 1;
  }
}

/** Zeroes whole channels of an [N,C,H,W] input with probability p during training (nn.Dropout2d). */
export class Dropout2d extends DropoutBase {
  constructor(p = 0.5) {
    super('dropout2d', p);
  }

  protected channelSize(x: Tensor): number {
    if (x.rank !== 4) throw new ShapeError(`dropout2d: input must be 4-D [N,C,H,W], got ${fmt(x.shape)}`);
    return x.shape[2]! * x.shape[3]!;
  }
}

/** Every dropout layer's step counter in a model, by checkpoint name (`dropout.<path>.step`). */
export function dropoutCounters(model: Module): [string, Variable][] {
  return model
    .namedModules()
    .filter((entry): entry is [string, DropoutBase] => entry[1] instanceof DropoutBase)
    .map(([path, m]): [string, Variable] => [`dropout.${path || 'self'}.step`, m.step]);
}
