import { fmt, sameShape, ShapeError, type Shape } from '../graph/shape';
import type { Tensor } from '../graph/tensor';
import { broadcastTo } from './broadcast-to';
import { defineReduce, reduceAxes, reducedAxes, reducedShape, type Axes } from './reduce';
import { reshape } from './reshape';
import { keptMiddle, sumOuterInner } from './sum-outer-inner';
import { opMethod, type OpMethod } from './op-method';

export const sumOp = defineReduce('sum', ({ inputs: [x], attrs: { axis }, dy }) => [broadcastTo(reshape(dy, reducedShape(x!.shape, axis, true)), x!.shape)]);

/** Sum over `axes` (all when omitted), as torch.sum. */
export function sum(x: Tensor, axes?: Axes, keepdims = false): Tensor<'f32'> {
  const rank = x.shape.length;
  // Axes around kept ones ([0, 2, 3] of NCHW, a conv bias gradient): one dispatch instead of two.
  const kept = rank === 0 ? null : keptMiddle(reducedAxes('sum', axes, rank), rank);
  if (!kept) return reduceAxes(sumOp, x, axes, keepdims);
  const y = sumOuterInner(x, kept);
  return keepdims ? y : reshape(y, x.shape.slice(kept[0], kept[1] + 1));
}

/**
 * Sums a broadcast gradient back to the shape of the input it was broadcast from: over the leading
 * axes the input lacked and over the axes where it had size 1.
 */
export function sumTo(dy: Tensor, shape: Shape): Tensor {
  if (sameShape(dy.shape, shape)) return dy;
  const lead = dy.shape.length - shape.length;
  if (lead < 0) throw new ShapeError(`sumTo: cannot reduce ${fmt(dy.shape)} to the larger rank of ${fmt(shape)}`);
  const axes: number[] = [];
  dy.shape.forEach((d, i) => {
    if (i < lead || (shape[i - lead] === 1 && d !== 1)) axes.push(i);
  });
  const reduced = axes.length ? sum(dy, axes, true) : dy;
  return reshape(reduced, shape);
}

export const sumMethod: OpMethod<typeof sum> = opMethod(sum, {
  cases: [
    { label: 'every axis', operands: [{ shape: [7, 13] }], args: (x) => [x] },
    { label: 'one axis of three', operands: [{ shape: [3, 4, 5] }], args: (x) => [x, 1] },
    { label: 'the outer and inner axes, kept (a conv bias gradient)', operands: [{ shape: [2, 3, 4, 5] }], args: (x) => [x, [0, 2, 3], true] },
    { label: 'a long row', operands: [{ shape: [2, 3000] }], args: (x) => [x, 1], tolerance: 1e-5 },
  ],
  eager: { method: 'sum' },
});
