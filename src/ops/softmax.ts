// Softmax along one axis, and the machinery it shares with log-softmax (src/ops/log-softmax.ts):
// shape inference, the row kernels of shaders/softmax.wgsl (forward, both ops) and
// shaders/softmax_grad.wgsl (backward, both ops), and the row-by-row CPU reference. The backward is a
// dedicated op so that it costs one kernel rather than the four of its graph-op formula.
import rowCombine from '../../shaders/row_combine.wgsl';
import forward from '../../shaders/softmax.wgsl';
import gradCode from '../../shaders/softmax_grad.wgsl';
import { fmt, normalizeAxis, sameShape, ShapeError, splitAtAxis, type Shape } from '../graph/shape';
import type { Tensor } from '../graph/tensor';
import { axisKernel } from './axis-kernel';
import { defineOp, type BindingRef, type CpuTensor, type KernelCall, type OpDef, type TensorMeta } from './op';
import { opMethod, type OpMethod } from './op-method';

const code = `${forward}\n${rowCombine}`;

export interface SoftmaxAttrs {
  /** Non-negative axis of the input. */
  axis: number;
}

export interface SoftmaxSpec {
  name: string;
  /** The kernels' LOG override: log_softmax instead of softmax. */
  log: boolean;
  /** Float64 reference of one row. */
  forward(x: Float64Array): Float64Array;
  /** Float64 reference of the input gradient of one row, from the output y and its gradient dy. */
  backward(y: Float64Array, dy: Float64Array): Float64Array;
}

function rowKernel(label: string, source: string, shape: Shape, axis: number, log: boolean, bindings: BindingRef[]): KernelCall {
  return axisKernel(label, source, shape, axis, bindings, { LOG: log ? 1 : 0 });
}

/** Applies a row function to every row along `axis` of same-shaped CPU tensors. */
function mapRows(inputs: readonly CpuTensor[], axis: number, out: TensorMeta, f: (rows: Float64Array[]) => Float64Array): CpuTensor {
  const { outer, length, inner } = splitAtAxis(out.shape, axis);
  const data = new Float64Array(outer * length * inner);
  for (let a = 0; a < outer; a++) {
    for (let b = 0; b < inner; b++) {
      const at = (r: number) => (a * length + r) * inner + b;
      const result = f(inputs.map((x) => Float64Array.from({ length }, (_, r) => x.data[at(r)]!)));
      result.forEach((v, r) => (data[at(r)] = v));
    }
  }
  return { shape: out.shape, dtype: 'f32', data };
}

function checkF32(op: string, what: string, x: TensorMeta): void {
  if (x.dtype !== 'f32') throw new ShapeError(`${op}: ${what} must be f32, got ${x.dtype}${fmt(x.shape)}`);
}

/** The forward op of a softmax-like function and its dedicated backward op (y, dy) -> dx. */
export function defineSoftmax(spec: SoftmaxSpec): { op: OpDef<SoftmaxAttrs>; gradOp: OpDef<SoftmaxAttrs> } {
  const gradOp = defineOp<SoftmaxAttrs>({
    name: `${spec.name}_grad`,
    infer([y, dy], { axis }) {
      checkF32(`${spec.name}_grad`, 'output', y!);
      checkF32(`${spec.name}_grad`, 'gradient', dy!);
      if (!sameShape(y!.shape, dy!.shape)) throw new ShapeError(`${spec.name}_grad: output ${fmt(y!.shape)} and gradient ${fmt(dy!.shape)} differ`);
      normalizeAxis(`${spec.name}_grad`, axis, y!.shape.length);
      return { shape: y!.shape, dtype: 'f32' };
    },
    lower: (node, { axis }) => [rowKernel(`${spec.name}_grad`, gradCode, node.shape, axis, spec.log, [{ input: 0 }, { input: 1 }, { output: true }])],
    cpu: (inputs, { axis }, out) => mapRows(inputs, axis, out, ([y, dy]) => spec.backward(y!, dy!)),
  });
  const op = defineOp<SoftmaxAttrs>({
    name: spec.name,
    infer([x], { axis }) {
      checkF32(spec.name, 'input', x!);
      normalizeAxis(spec.name, axis, x!.shape.length);
      return { shape: x!.shape, dtype: 'f32' };
    },
    lower: (node, { axis }) => [rowKernel(spec.name, code, node.shape, axis, spec.log, [{ input: 0 }, { output: true }])],
    cpu: (inputs, { axis }, out) => mapRows(inputs, axis, out, ([x]) => spec.forward(x!)),
    // The backward reads the forward output (node), which both formulas are written in.
    grad: ({ node, attrs, dy }) => [node.graph.apply(gradOp, [node, dy], attrs)],
  });
  return { op, gradOp };
}

/** Applies a softmax-like op along `axis` (negative counts from the end). */
export function applySoftmax(op: OpDef<SoftmaxAttrs>, x: Tensor, axis: number): Tensor<'f32'> {
  return x.graph.applyF32(op, [x], { axis: normalizeAxis(op.name, axis, x.rank) });
}

/** Row maximum: subtracting it keeps every exponent <= 0. */
export const rowMax = (x: Float64Array): number => x.reduce((m, v) => Math.max(m, v), -Infinity);

export const { op: softmaxOp, gradOp: softmaxGradOp } = defineSoftmax({
  name: 'softmax',
  log: false,
  forward(x) {
    const m = rowMax(x);
    const e = x.map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / s);
  },
  // dx = y * (dy - sum(dy * y))
  backward(y, dy) {
    const t = y.reduce((acc, v, i) => acc + v * dy[i]!, 0);
    return y.map((v, i) => v * (dy[i]! - t));
  },
});

/** exp(x) / sum(exp(x)) along `axis` (default the last), computed stably, as torch.softmax. */
export const softmax = (x: Tensor, axis = -1): Tensor<'f32'> => applySoftmax(softmaxOp, x, axis);

export const softmaxMethod: OpMethod<typeof softmax> = opMethod(softmax, {
  cases: [
    { label: 'rows', operands: [{ shape: [3, 5], lo: -4, hi: 4 }], args: (x) => [x, 1] },
    { label: 'columns', operands: [{ shape: [4, 3], lo: -4, hi: 4 }], args: (x) => [x, 0] },
    { label: 'wide rows', operands: [{ shape: [2, 100], lo: -4, hi: 4 }], args: (x) => [x, -1] },
    { label: 'values of ±80 (no overflow)', operands: [{ shape: [2, 4], data: [80, -80, 0, 1, -80, 80, 3, 2] }], args: (x) => [x, 1] },
  ],
  eager: { method: 'softmax' },
});
