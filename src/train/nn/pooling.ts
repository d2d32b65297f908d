// Pooling layers, as torch.nn.MaxPool2d (no ceil_mode, no returned indices), nn.AvgPool2d and
// nn.AdaptiveAvgPool2d.
import type { Tensor } from '../../graph/tensor';
import { adaptiveAvgPool2d, avgPool2d } from '../../ops/avg-pool2d';
import { maxPool2d } from '../../ops/max-pool2d';
import { pair, type Pair, type Size2 } from '../../ops/pool2d-window';
import { Module, type ForwardContext } from './module';

/** Max over kernel windows of an [N,C,H,W] input; stride defaults to the kernel size. */
export class MaxPool2d extends Module {
  readonly kernel: Pair;
  readonly stride: Pair;
  readonly padding: Pair;
  readonly dilation: Pair;

  constructor(kernel: Size2, stride?: Size2, padding: Size2 = 0, dilation: Size2 = 1) {
    super();
    this.kernel = pair(kernel);
    this.stride = pair(stride ?? kernel);
    this.padding = pair(padding);
    this.dilation = pair(dilation);
  }

  forward(x: Tensor, _ctx: ForwardContext): Tensor {
    return maxPool2d(x, this.kernel, this.stride, this.padding, this.dilation);
  }
}

/** Mean over kernel windows of an [N,C,H,W] input; stride defaults to the kernel size, padding counts in the mean unless told. */
export class AvgPool2d extends Module {
  readonly kernel: Pair;
  readonly stride: Pair;
  readonly padding: Pair;
  readonly countIncludePad: boolean;

  constructor(kernel: Size2, stride?: Size2, padding: Size2 = 0, countIncludePad = true) {
    super();
    this.kernel = pair(kernel);
    this.stride = pair(stride ?? kernel);
    this.padding = pair(padding);
    this.countIncludePad = countIncludePad;
  }

  forward(x: Tensor, _ctx: ForwardContext): Tensor {
    return avgPool2d(x, this.kernel, this.stride, this.padding, this.countIncludePad);
  }
}

/** Means over windows chosen so that the output is [N, C, outputSize]: 1 for global average pooling. */
export class AdaptiveAvgPool2d extends Module {
  readonly outputSize: Pair;

  constructor(outputSize: Size2) {
    super();
    this.outputSize = pair(outputSize);
  }

  forward(x: Tensor, _ctx: ForwardContext): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize);
  }
}
