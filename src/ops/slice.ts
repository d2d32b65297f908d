// slice: a box of a tensor (a start and a size on each axis, step 1), as x[a:b, c:d] in PyTorch
// (materialised, as .contiguous() would), and its gradient, slice_grad: the box's gradient written
// into zeros of the whole shape. Both kernels are in shaders/slice.wgsl, with concat's (src/ops/concat.ts).
import source from '../../shaders/slice.wgsl';
import { fmt, ShapeError, sizeOf, stridesOf, type DType, type Shape } from '../graph/shape';
import type { Tensor } from '../graph/tensor';
import type { CpuTensor, OpDef } from './op';
import { defineOp, dispatch1d, type KernelCall } from './op';
import { opMethod, type OpMethod } from './op-method';

const MAX_RANK = 8;

export interface SliceAttrs {
  /** Where the box starts on each axis. */
  starts: readonly number[];
  /** The box's shape. */
  sizes: readonly number[];
}

export interface SliceGradAttrs extends SliceAttrs {
  /** The whole tensor's shape. */
  shape: readonly number[];
}

function checkBox(op: string, whole: Shape, { starts, sizes }: SliceAttrs, dtype: string): void {
  if (dtype === 'u8') throw new ShapeError(`${op}: u8 tensors cannot be sliced; only f32 and i32`);
  if (whole.length > MAX_RANK) throw new ShapeError(`${op}: rank ${whole.length} exceeds the supported ${MAX_RANK}`);
  if (starts.length !== whole.length || sizes.length !== whole.length) {
    throw new ShapeError(`${op}: a box of rank ${starts.length} does not fit a tensor of shape ${fmt(whole)}`);
  }
  whole.forEach((d, i) => {
    const [s, n] = [starts[i]!, sizes[i]!];
    if (!Number.isInteger(s) || !Number.isInteger(n) || s < 0 || n < 1 || s + n > d) {
      throw new ShapeError(`${op}: on axis ${i} (size ${d}), elements ${s}..${s + n - 1} are out of range`);
    }
  });
}

export function boxUniform(small: Shape, big: Shape, starts: readonly number[]): Uint32Array {
  const box = new Uint32Array(24).fill(1);
  small.forEach((d, i) => (box[i] = d));
  big.forEach((d, i) => (box[8 + i] = d));
  for (let i = 0; i < 8; i++) box[16 + i] = starts[i] ?? 0;
  return box;
}

/** One dispatch of shaders/slice.wgsl over n elements, reading the node's input `input`. */
export function boxCall(entryPoint: 'gather' | 'scatter' | 'place', n: number, rank: number, box: Uint32Array, input = 0): KernelCall {
  return {
    code: source,
    entryPoint,
    constants: { N: n, RANK: Math.max(1, rank) },
    bindings: [{ input }, { output: true }, { uniform: box }],
    workgroups: dispatch1d(n),
  };
}

/** Visits every index of the box, with the flat offsets in the box and in the whole tensor. */
export function forEachInBox(big: Shape, { starts, sizes }: SliceAttrs, visit: (inBox: number, inWhole: number) => void): void {
  const strides = stridesOf(big);
  const n = sizeOf(sizes);
  const index = new Array<number>(sizes.length).fill(0);
  for (let i = 0; i < n; i++) {
    visit(
      i,
      index.reduce((acc, c, d) => acc + (c + starts[d]!) * strides[d]!, 0),
    );
    for (let d = sizes.length - 1; d >= 0; d--) {
      if (++index[d]! < sizes[d]!) break;
      index[d] = 0;
    }
  }
}

export const sliceOp: OpDef<SliceAttrs> = defineOp<SliceAttrs>({
  name: 'slice',
  infer([x], attrs) {
    checkBox('slice', x!.shape, attrs, x!.dtype);
    return { shape: attrs.sizes, dtype: x!.dtype };
  },
  lower: (node, { starts }) => [boxCall('gather', node.size, node.shape.length, boxUniform(node.shape, node.inputs[0]!.shape, starts))],
  grad: ({ inputs: [x], attrs, dy }) => [x!.dtype === 'f32' ? dy.graph.apply(sliceGradOp, [dy], { ...attrs, shape: x!.shape }) : null],
  cpu([x], attrs, out): CpuTensor {
    const data = new Float64Array(sizeOf(out.shape));
    forEachInBox(x!.shape, attrs, (i, j) => (data[i] = x!.data[j]!));
    return { shape: out.shape, dtype: out.dtype, data };
  },
  flops: () => 0,
});

export const sliceGradOp: OpDef<SliceGradAttrs> = defineOp<SliceGradAttrs>({
  name: 'slice_grad',
  infer([dy], attrs) {
    checkBox('slice_grad', attrs.shape, attrs, dy!.dtype);
    if (fmt(dy!.shape) !== fmt(attrs.sizes)) throw new ShapeError(`slice_grad: the gradient has shape ${fmt(dy!.shape)}, the box ${fmt(attrs.sizes)}`);
    return { shape: attrs.shape, dtype: dy!.dtype };
  },
  lower: (node, { starts, sizes }) => [boxCall('scatter', node.size, node.shape.length, boxUniform(sizes, node.shape, starts))],
  grad: ({ attrs: { starts, sizes }, dy }) => [dy.graph.apply(sliceOp, [dy], { starts, sizes })],
  cpu([dy], attrs, out): CpuTensor {
    const data = new Float64Array(sizeOf(out.shape));
    forEachInBox(attrs.shape, attrs, (i, j) => (data[j] = dy!.data[i]!));
    return { shape: out.shape, dtype: out.dtype, data };
  },
  flops: () => 0,
});

/** The box of `x` from `starts` with shape `sizes`; `x` itself when the box is all of it. */
export function slice<D extends DType>(x: Tensor<D>, starts: readonly number[], sizes: readonly number[]): Tensor<D> {
  if (sizes.every((n, i) => n === x.shape[i] && starts[i] === 0)) return x;
  return x.graph.apply(sliceOp, [x], { starts: [...starts], sizes: [...sizes] }) as Tensor<D>;
}

export const sliceMethod: OpMethod<typeof slice> = opMethod(slice, {
  cases: [
    { label: 'rows', operands: [{ shape: [4, 5] }], args: (x) => [x, [1, 0], [2, 5]] },
    { label: 'a block of a 3-D tensor', operands: [{ shape: [3, 4, 5] }], args: (x) => [x, [1, 1, 2], [2, 2, 3]] },
    { label: 'i32 columns', operands: [{ shape: [3, 4], dtype: 'i32', lo: -9, hi: 9 }], args: (x) => [x, [0, 1], [3, 2]], gradient: false },
  ],
  eager: { method: 'slice' },
});
