// Parameter-free layers: activations, flatten and (log-)softmax, as their torch.nn namesakes.
import type { Tensor } from '../../graph/tensor';
import { logSoftmax } from '../../ops/log-softmax';
import { relu } from '../../ops/relu';
import { flatten } from '../../ops/reshape';
import { sigmoid } from '../../ops/sigmoid';
import { softmax } from '../../ops/softmax';
import { tanh } from '../../ops/tanh';
import { Module, type ForwardContext } from './module';

/** A layer made of one function of its input. */
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

export const ReLU = (): Module => new Lambda('relu', relu);
export const Sigmoid = (): Module => new Lambda('sigmoid', sigmoid);
export const Tanh = (): Module => new Lambda('tanh', tanh);
export const Flatten = (startDim = 1, endDim = -1): Module => new Lambda('flatten', (x) => flatten(x, startDim, endDim));
export const LogSoftmax = (dim = -1): Module => new Lambda('log_softmax', (x) => logSoftmax(x, dim));
export const Softmax = (dim = -1): Module => new Lambda('softmax', (x) => softmax(x, dim));
