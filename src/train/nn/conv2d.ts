import { ShapeError } from '../../graph/shape';
import type { Tensor } from '../../graph/tensor';
import { Variable } from '../../graph/variable';
import { conv2d } from '../../ops/conv2d';
import { convAttrs, type Conv2dAttrs, type Conv2dOptions, type Pair } from '../../ops/conv2d-geometry';
import { kaimingUniformDefault } from './init';
import { Module, type ForwardContext } from './module';

export interface Conv2dLayerOptions extends Conv2dOptions {
  bias?: boolean;
}

/** torch.nn.Conv2d: weight [out, in, kh, kw] and bias [out], initialised as PyTorch does (bound 1/sqrt(in*kh*kw)). */
export class Conv2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: Pair;
  readonly attrs: Conv2dAttrs;
  readonly weight: Variable<'f32'>;
  readonly bias: Variable<'f32'> | null;

  constructor(inChannels: number, outChannels: number, kernelSize: number | Pair, options: Conv2dLayerOptions = {}) {
    super();
    for (const [what, n] of [
      ['inChannels', inChannels],
      ['outChannels', outChannels],
    ] as const) {
      if (!Number.isInteger(n) || n < 1) throw new RangeError(`conv2d: ${what} must be a positive integer, got ${n}`);
    }
    const kernel: Pair = typeof kernelSize === 'number' ? [kernelSize, kernelSize] : kernelSize;
    if (kernel.length !== 2 || !kernel.every((k) => Number.isInteger(k) && k >= 1))
      throw new RangeError(`conv2d: kernelSize must be a positive integer or a pair of them, got ${JSON.stringify(kernelSize)}`);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = [kernel[0], kernel[1]];
    this.attrs = convAttrs('conv2d', options);
    const fanIn = inChannels * kernel[0] * kernel[1];
    this.weight = new Variable('weight', [outChannels, inChannels, kernel[0], kernel[1]], 'f32', {
      trainable: true,
      data: kaimingUniformDefault(outChannels * fanIn, fanIn),
    });
    this.bias =
      options.bias === false ? null : new Variable('bias', [outChannels], 'f32', { trainable: true, data: kaimingUniformDefault(outChannels, fanIn) });
  }

  forward(x: Tensor, _ctx: ForwardContext): Tensor {
    if (x.shape.length !== 4) throw new ShapeError(`conv2d: input must be 4-D [N,C,H,W], got [${x.shape.join(',')}]`);
    const g = x.graph;
    return conv2d(x, g.variable(this.weight), this.bias ? g.variable(this.bias) : null, this.attrs);
  }
}
