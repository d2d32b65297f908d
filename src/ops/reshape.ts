import { fmt, normalizeAxis, ShapeError, sizeOf, type DType, type Shape } from '../graph/shape';
import type { Tensor } from '../graph/tensor';
import { defineOp } from './op';
import { opMethod, type OpMethod } from './op-method';

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
export function reshape<D extends DType>(x: Tensor<D>, shape: Shape): Tensor<D> {
  const unknown = shape.filter((d) => d === -1).length;
  if (unknown > 1) throw new ShapeError(`reshape: only one dimension may be -1, got ${fmt(shape)}`);
  let resolved = [...shape];
  if (unknown === 1) {
    const known = sizeOf(shape.filter((d) => d !== -1));
    if (known === 0 || x.size % known !== 0) throw new ShapeError(`reshape: cannot view ${fmt(x.shape)} as ${fmt(shape)}`);
    resolved = shape.map((d) => (d === -1 ? x.size / known : d));
  }
  if (resolved.length === x.shape.length && resolved.every((d, i) => d === x.shape[i])) return x;
  return x.graph.apply(reshapeOp, [x], { shape: resolved }) as Tensor<D>;
}

/** Flattens axes startDim..endDim into one, as torch.flatten (default: all but the batch axis). */
export function flatten<D extends DType>(x: Tensor<D>, startDim = 1, endDim = -1): Tensor<D> {
  const rank = x.shape.length;
  const start = normalizeAxis('flatten', startDim, rank);
  const end = normalizeAxis('flatten', endDim, rank);
  if (start > end) throw new ShapeError(`flatten: startDim ${startDim} comes after endDim ${endDim} for rank ${rank}`);
  return reshape(x, [...x.shape.slice(0, start), sizeOf(x.shape.slice(start, end + 1)), ...x.shape.slice(end + 1)]);
}

export const reshapeMethod: OpMethod<typeof reshape> = opMethod(reshape, {
  cases: [
    { label: 'a matrix to 3-D, -1 inferred', operands: [{ shape: [6, 4] }], args: (x) => [x, [2, -1, 4]] },
    { label: 'i32 values', operands: [{ shape: [6], dtype: 'i32', lo: 0, hi: 9 }], args: (x) => [x, [3, 2]], gradient: false },
  ],
  eager: { method: 'reshape' },
});

export const flattenMethod: OpMethod<typeof flatten> = opMethod(flatten, {
  cases: [{ label: 'all but the batch axis', operands: [{ shape: [2, 3, 4] }], args: (x) => [x] }],
  eager: { method: 'flatten' },
});
