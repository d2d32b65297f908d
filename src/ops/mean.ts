import type { Tensor } from '../graph/tensor';
import { broadcastTo } from './broadcast-to';
import { mul } from './mul';
import { defineReduce, reduceAxes, reducedShape, type Axes } from './reduce';
import { reshape } from './reshape';
import { opMethod, type OpMethod } from './op-method';

export const meanOp = defineReduce('mean', ({ inputs: [x], attrs: { axis }, dy }) => [
  mul(broadcastTo(reshape(dy, reducedShape(x!.shape, axis, true)), x!.shape), 1 / x!.shape[axis]!),
]);

/** Mean over `axes` (all when omitted), as torch.mean. */
export const mean = (x: Tensor, axes?: Axes, keepdims = false): Tensor<'f32'> => reduceAxes(meanOp, x, axes, keepdims);

export const meanMethod: OpMethod<typeof mean> = opMethod(mean, {
  cases: [
    { label: 'every axis', operands: [{ shape: [7, 13] }], args: (x) => [x] },
    { label: 'the last axis, kept', operands: [{ shape: [3, 4, 5] }], args: (x) => [x, -1, true] },
  ],
  eager: { method: 'mean' },
});
