import type { Tensor } from '../graph/tensor';
import { broadcastTo } from './broadcast-to';
import { mul } from './mul';
import { defineReduce, reduceAxes, reducedShape, type Axes } from './reduce';
import { reshape } from './reshape';

export const meanOp = defineReduce('mean', ({ inputs: [x], attrs: { axis }, dy }) => [
  mul(broadcastTo(reshape(dy, reducedShape(x!.shape, axis, true)), x!.shape), 1 / x!.shape[axis]!),
]);

/** Mean over `axes` (all when omitted), as torch.mean. */
export const mean = (x: Tensor, axes?: Axes, keepdims = false): Tensor => reduceAxes(meanOp, x, axes, keepdims);
