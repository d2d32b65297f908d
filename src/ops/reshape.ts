import { fmt, normalizeAxis, ShapeError, sizeOf, type Shape } from '../graph/shape';
import type { Tensor } from '../graph/tensor';
import { defineOp } from './op';

export interface ReshapeAttrs {
  shape: Shape;
}

/** A view: the same bytes read with another shape. No kernel runs. */
export const reshapeOp = defineOp<ReshapeAttrs>({
  name: 'reshape',
  view: true,
  infer([x], { shape }) {
    if (sizeOf(shape) !== sizeOf(x!.shape)) throw new ShapeError(`reshape: cannot view ${fmt(x!.shape)} (${sizeOf(x!.shape)} elements) as ${fmt(shape)}`);
    return { shape, dtype: x!.dtype };
  },
  cpu: ([x], _attrs, out) => ({ shape: out.shape, dtype: x!.dtype, data: x!.data.slice() }),
  grad: ({ inputs: [x], dy }) => [reshape(dy, x!.shape)],
});

/** x viewed with another shape; one dimension may be -1 (inferred), as torch.reshape. */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const unknown = shape.filter((d) => d === -1).length;
  if (unknown > 1) throw new ShapeError(`reshape: only one dimension may be -1, got ${fmt(shape)}`);
  let resolved = [...shape];
  if (unknown === 1) {
    const known = sizeOf(shape.filter((d) => d !== -1));
    if (known === 0 || x.size % known !== 0) throw new ShapeError(`reshape: cannot view ${fmt(x.shape)} as ${fmt(shape)}`);
    resolved = shape.map((d) => (d === -1 ? x.size / known : d));
  }
  if (resolved.length === x.shape.length && resolved.every((d, i) => d === x.shape[i])) return x;
  return x.graph.apply(reshapeOp, [x], { shape: resolved });
}

/** Flattens axes startDim..endDim into one, as torch.flatten (default: all but the batch axis). */
export function flatten(x: Tensor, startDim = 1, endDim = -1): Tensor {
  const rank = x.shape.length;
  const start = normalizeAxis('flatten', startDim, rank);
  const end = normalizeAxis('flatten', endDim, rank);
  if (start > end) throw new ShapeError(`flatten: startDim ${startDim} comes after endDim ${endDim} for rank ${rank}`);
  return reshape(x, [...x.shape.slice(0, start), sizeOf(x.shape.slice(start, end + 1)), ...x.shape.slice(end + 1)]);
}
