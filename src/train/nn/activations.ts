// Parameter-free layers: activations, flatten and (log-)softmax, as their torch.nn namesakes.
import type { Tensor } from '../../graph/tensor';
import { gelu, type GeluOptions } from '../../ops/gelu';
import { logSoftmax } from '../../ops/log-softmax';
import { relu } from '../../ops/relu';
import { flatten } from '../../ops/reshape';
import { sigmoid } from '../../ops/sigmoid';
import { silu } from '../../ops/silu';
import { softmax } from '../../ops/softmax';
import { tanh } from '../../ops/tanh';
import { Module, type ForwardContext } from './module';

/** A layer made of one function of its input: `new nn.Lambda('square', (x) => mul(x, x))`. */
export class Lambda extends Module {
  constructor(
    readonly label: string,
    private readonly f: (x: Tensor) => Tensor,
  ) {
    super();
  }

  forward(x: Tensor, _ctx: ForwardContext): Tensor {
    return this.f(x);
  }
}

/** max(x, 0), as torch.nn.ReLU. */
export class ReLU extends Lambda {
  constructor() {
    super('relu', relu);
  }
}

/** 1 / (1 + exp(-x)), as torch.nn.Sigmoid. */
export class Sigmoid extends Lambda {
  constructor() {
    super('sigmoid', sigmoid);
  }
}

/** x Φ(x), as torch.nn.GELU (`{ approximate: 'tanh' }` for GPT-2's form). */
export class GELU extends Lambda {
  constructor(readonly options: GeluOptions = {}) {
    super('gelu', (x) => gelu(x, options));
  }
}

/** x σ(x), as torch.nn.SiLU. */
export class SiLU extends Lambda {
  constructor() {
    super('silu', silu);
  }
}

/** tanh(x), as torch.nn.Tanh. */
export class Tanh extends Lambda {
  constructor() {
    super('tanh', tanh);
  }
}

/** Flattens dimensions startDim..endDim into one (a view), as torch.nn.Flatten (default: all but the batch). */
export class Flatten extends Lambda {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
  ) {
    super('flatten', (x) => flatten(x, startDim, endDim));
  }
}

/** log(softmax(x)) along `dim`, as torch.nn.LogSoftmax. */
export class LogSoftmax extends Lambda {
  constructor(readonly dim = -1) {
    super('log_softmax', (x) => logSoftmax(x, dim));
  }
}

/** exp(x) / sum(exp(x)) along `dim`, as torch.nn.Softmax. */
export class Softmax extends Lambda {
  constructor(readonly dim = -1) {
    super('softmax', (x) => softmax(x, dim));
  }
}
