import type { Tensor } from '../graph/tensor';
import { broadcastTo } from './broadcast-to';
import { div } from './div';
import { equal } from './equal';
import { mul } from './mul';
import { defineReduce, reduceAxes, reducedShape, type Axes } from './reduce';
import { reshape } from './reshape';
import { sum } from './sum';
import { opMethod, type OpMethod } from './op-method';

// Gradient as torch.amax: split evenly among the positions that hold the maximum.
export const maxOp = defineReduce('max', ({ node, inputs: [x], attrs: { axis }, dy }) => {
  const kept = reducedShape(x!.shape, axis, true);
  const mask = equal(x!, broadcastTo(reshape(node, kept), x!.shape));
  const share = div(reshape(dy, kept), sum(mask, axis, true));
  return [mul(mask, broadcastTo(share, x!.shape))];
});

/** Maximum over `axes` (all when omitted), as torch.amax. */
export const max = (x: Tensor, axes?: Axes, keepdims = false): Tensor<'f32'> => reduceAxes(maxOp, x, axes, keepdims);

export const maxMethod: OpMethod<typeof max> = opMethod(max, {
  cases: [
    { label: 'every axis (distinct values: no ties)', operands: [{ shape: [4, 6], distinct: true }], args: (x) => [x] },
    { label: 'one axis', operands: [{ shape: [3, 4, 5], distinct: true }], args: (x) => [x, 1] },
  ],
  eager: { method: 'max' },
});
