// concat: tensors joined along one axis, as torch.cat. One dispatch per input writes that input's box
// of the output (shaders/slice.wgsl's `place`); the gradient of each input is its box of the output's
// gradient, a slice. split (src/ops/split.ts) is the inverse, made of slices.
import { fmt, normalizeAxis, ShapeError, sizeOf, type DType, type Shape } from '../graph/shape';
import type { Tensor } from '../graph/tensor';
import { defineOp } from './op';
import { opMethod, type OpMethod } from './op-method';
import { boxCall, boxUniform, forEachInBox, slice } from './slice';

export interface ConcatAttrs {
  axis: number;
}

/** Where each input starts along the axis. */
function offsets(shapes: readonly Shape[], axis: number): number[] {
  let at = 0;
  return shapes.map((s) => ((at += s[axis]!), at - s[axis]!));
}

export const concatOp = defineOp<ConcatAttrs>({
  name: 'concat',
  infer(inputs, { axis }) {
    if (inputs.length === 0) throw new ShapeError('concat: expected at least one tensor');
    const [first] = inputs;
    if (first!.dtype === 'u8') throw new ShapeError('concat: u8 tensors cannot be joined; only f32 and i32');
    if (axis < 0 || axis >= first!.shape.length) throw new ShapeError(`concat: axis ${axis} is out of range for rank ${first!.shape.length}`);
    inputs.forEach((x, k) => {
      if (x.dtype !== first!.dtype) throw new ShapeError(`concat: tensor ${k} is ${x.dtype}, tensor 0 is ${first!.dtype}`);
      if (x.shape.length !== first!.shape.length || x.shape.some((d, i) => i !== axis && d !== first!.shape[i]))
        throw new ShapeError(`concat: tensor ${k} has shape ${fmt(x.shape)}, which does not match tensor 0's ${fmt(first!.shape)} off axis ${axis}`);
    });
    const shape = first!.shape.map((d, i) => (i === axis ? inputs.reduce((n, x) => n + x.shape[axis]!, 0) : d));
    return { shape, dtype: first!.dtype };
  },
  lower(node, { axis }) {
    const shapes = node.inputs.map((x) => x.shape);
    return offsets(shapes, axis).map((at, k) => {
      const starts = node.shape.map((_, i) => (i === axis ? at : 0));
      return boxCall('place', sizeOf(shapes[k]!), node.shape.length, boxUniform(shapes[k]!, node.shape, starts), k);
    });
  },
  grad({ inputs, attrs: { axis }, dy }) {
    const shapes = inputs.map((x) => x.shape);
    return offsets(shapes, axis).map((at, k) =>
      inputs[k]!.dtype === 'f32'
        ? slice(
            dy,
            dy.shape.map((_, i) => (i === axis ? at : 0)),
            shapes[k]!,
          )
        : null,
    );
  },
  cpu(inputs, { axis }, out) {
    const data = new Float64Array(sizeOf(out.shape));
    const shapes = inputs.map((x) => x.shape);
    offsets(shapes, axis).forEach((at, k) => {
      const starts = out.shape.map((_, i) => (i === axis ? at : 0));
      forEachInBox(out.shape, { starts, sizes: shapes[k]! }, (i, j) => (data[j] = inputs[k]!.data[i]!));
    });
    return { shape: out.shape, dtype: out.dtype, data };
  },
  flops: () => 0,
});

/** The tensors joined along `axis` (negative counts from the end), as torch.cat; one tensor is itself. */
export function concat<D extends DType>(tensors: readonly Tensor<D>[], axis = 0): Tensor<D> {
  const [first] = tensors;
  if (!first) throw new ShapeError('concat: expected at least one tensor');
  if (tensors.length === 1) return first;
  const a = normalizeAxis('concat', axis, first.shape.length);
  return first.graph.apply(concatOp, tensors, { axis: a }) as Tensor<D>;
}

export const concatMethod: OpMethod<typeof concat, 'derived-functional'> = opMethod(concat, {
  cases: [
    { label: 'three tensors along the last axis', operands: [{ shape: [3, 2] }, { shape: [3, 5] }, { shape: [3, 1] }], args: (a, b, c) => [[a, b, c], -1] },
    { label: 'two along the first axis of a 3-D tensor', operands: [{ shape: [2, 3, 4] }, { shape: [1, 3, 4] }], args: (a, b) => [[a, b], 0] },
    {
      label: 'a middle axis, i32',
      operands: [
        { shape: [2, 2, 3], dtype: 'i32', lo: -5, hi: 5 },
        { shape: [2, 4, 3], dtype: 'i32', lo: -5, hi: 5 },
      ],
      args: (a, b) => [[a, b], 1],
      gradient: false,
    },
  ],
  eager: 'derived-functional',
});
