// Pooling layers, as torch.nn.MaxPool2d (no ceil_mode, no returned indices).
import type { Tensor } from '../../graph/tensor';
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
