// permute: a tensor's axes in another order (torch.permute, materialised as by .contiguous()): shape
// inference, the gather kernel of shaders/permute.wgsl, the gradient (the inverse permutation) and
// the float64 reference. conv2d's input gradient uses it to lay the weight out channel-last.
import source from '../../shaders/permute.wgsl';
import { fmt, ShapeError, sizeOf, stridesOf, type DType, type Shape } from '../graph/shape';
import type { Tensor } from '../graph/tensor';
import { defineOp, dispatch1d } from './op';
import { opMethod, type OpMethod } from './op-method';

const MAX_RANK = 8;

export interface PermuteAttrs {
  /** Output axis i is input axis dims[i]. */
  dims: readonly number[];
}

/** dims with negative axes made non-negative, or a ShapeError unless it orders every axis of `shape` once. */
function checkedDims(dims: readonly number[], shape: Shape): number[] {
  const rank = shape.length;
  const resolved = dims.map((d) => (Number.isInteger(d) && d < 0 ? d + rank : d));
  const seen = new Set(resolved);
  if (resolved.length !== rank || seen.size !== rank || resolved.some((d) => !Number.isInteger(d) || d < 0 || d >= rank)) {
    throw new ShapeError(`permute: dims ${fmt(dims)} are not an ordering of the ${rank} axes of ${fmt(shape)}`);
  }
  return resolved;
}

export const permuteOp = defineOp<PermuteAttrs>({
  name: 'permute',
  infer([x], { dims }) {
    if (x!.dtype !== 'f32') throw new ShapeError(`permute: input must be f32, got ${x!.dtype}${fmt(x!.shape)}`);
    if (x!.shape.length > MAX_RANK) throw new ShapeError(`permute: rank ${x!.shape.length} exceeds the supported ${MAX_RANK}`);
    const order = checkedDims(dims, x!.shape);
    return { shape: order.map((d) => x!.shape[d]!), dtype: 'f32' };
  },
  lower(node, { dims }) {
    const input = node.inputs[0]!.shape;
    const own = stridesOf(input);
    const meta = new Uint32Array(16);
    node.shape.forEach((d, i) => (meta[i] = d));
    dims.forEach((d, i) => (meta[8 + i] = own[d]!));
    const n = sizeOf(node.shape);
    return [
      {
        code: source,
        constants: { N: n, RANK: Math.max(1, node.shape.length) },
        bindings: [{ input: 0 }, { output: true }, { uniform: meta }],
        workgroups: dispatch1d(n),
      },
    ];
  },
  grad: ({ attrs: { dims }, dy }) => {
    const inverse = new Array<number>(dims.length);
    dims.forEach((d, i) => (inverse[d] = i));
    return [permute(dy, inverse)];
  },
  cpu([x], { dims }, out) {
    const own = stridesOf(x!.shape);
    const strides = dims.map((d) => own[d]!);
    const n = sizeOf(out.shape);
    const data = new Float64Array(n);
    const index = new Array<number>(out.shape.length).fill(0);
    for (let i = 0; i < n; i++) {
      data[i] = x!.data[index.reduce((acc, c, d) => acc + c * strides[d]!, 0)]!;
      for (let d = out.shape.length - 1; d >= 0; d--) {
        if (++index[d]! < out.shape[d]!) break;
        index[d] = 0;
      }
    }
    return { shape: out.shape, dtype: 'f32', data };
  },
});

/** x with its axes reordered: output axis i is input axis dims[i] (negative axes count from the end). */
export function permute<D extends DType>(x: Tensor<D>, dims: readonly number[]): Tensor<D> {
  const order = checkedDims(dims, x.shape);
  if (order.every((d, i) => d === i)) return x;
  return x.graph.apply(permuteOp, [x], { dims: order }) as Tensor<D>;
}

export const permuteMethod: OpMethod<typeof permute> = opMethod(permute, {
  cases: [
    { label: 'a transpose', operands: [{ shape: [5, 7] }], args: (x) => [x, [1, 0]] },
    { label: 'NCHW to NHWC', operands: [{ shape: [2, 3, 4, 5] }], args: (x) => [x, [0, 2, 3, 1]] },
  ],
  eager: { method: 'permute' },
});
