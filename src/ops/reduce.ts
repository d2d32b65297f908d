// Shared machinery of sum, mean and max over one axis: shape inference, the kernel choice and the
// CPU reference. Reducing several axes chains single-axis nodes (see reduceAxes).
import code from '../../shaders/reduce.wgsl';
import { fmt, normalizeAxis, ShapeError, sizeOf, splitAtAxis, type Shape } from '../graph/shape';
import { asF32, type Tensor } from '../graph/tensor';
import { axisKernel } from './axis-kernel';
import { defineOp, type GradContext, type KernelCall, type OpDef } from './op';
import { reshape } from './reshape';

export interface ReduceAttrs {
  /** Non-negative axis of the input. */
  axis: number;
  keepdims: boolean;
}

export type Axes = number | readonly number[] | undefined;

type Kind = 'sum' | 'mean' | 'max';

export function reducedShape(shape: Shape, axis: number, keepdims: boolean): number[] {
  return keepdims ? shape.map((d, i) => (i === axis ? 1 : d)) : shape.filter((_, i) => i !== axis);
}

export function defineReduce(kind: Kind, grad: (ctx: GradContext<ReduceAttrs>) => (Tensor | null)[]): OpDef<ReduceAttrs> {
  return defineOp<ReduceAttrs>({
    name: kind,
    infer([x], attrs) {
      if (x!.dtype !== 'f32') throw new ShapeError(`${kind}: input must be f32, got ${x!.dtype}${fmt(x!.shape)}`);
      return { shape: reducedShape(x!.shape, normalizeAxis(kind, attrs.axis, x!.shape.length), attrs.keepdims), dtype: 'f32' };
    },
    lower(node, { axis }): KernelCall[] {
      const constants = { IS_MAX: kind === 'max' ? 1 : 0, SCALE: kind === 'mean' ? 1 / node.inputs[0]!.shape[axis]! : 1 };
      return [axisKernel(kind, code, node.inputs[0]!.shape, axis, [{ input: 0 }, { output: true }], constants)];
    },
    cpu([x], { axis }, out) {
      const { outer, length, inner } = splitAtAxis(x!.shape, axis);
      const data = new Float64Array(outer * inner);
      for (let a = 0; a < outer; a++) {
        for (let b = 0; b < inner; b++) {
          let acc = kind === 'max' ? -Infinity : 0;
          for (let r = 0; r < length; r++) {
            const v = x!.data[(a * length + r) * inner + b]!;
            acc = kind === 'max' ? Math.max(acc, v) : acc + v;
          }
          data[a * inner + b] = kind === 'mean' ? acc / length : acc;
        }
      }
      return { shape: out.shape, dtype: 'f32', data };
    },
    grad,
  });
}

/**
 * Reduces over `axes` (all when undefined) by chaining one node per run of adjacent axes, highest
 * first so the remaining axis numbers stay valid. A run reads as one axis through a view (a max over
 * [0, 2, 3] of NCHW is two nodes, a full reduction one; sum() takes such axes around kept ones in
 * one node of its own); keepdims=false removes the reduced axes at the end with a view.
 */
export function reduceAxes(op: OpDef<ReduceAttrs>, x: Tensor, axes: Axes, keepdims: boolean): Tensor<'f32'> {
  const rank = x.shape.length;
  if (rank === 0) return asF32(op.name, x);
  const list = reducedAxes(op.name, axes, rank);
  let y = asF32(op.name, x);
  for (const [first, last] of axisRuns(list)) {
    const merged = [...y.shape.slice(0, first), sizeOf(y.shape.slice(first, last + 1)), ...y.shape.slice(last + 1)];
    // reshape() returns its input when the shape is unchanged (a run of one axis).
    const reduced = x.graph.applyF32(op, [reshape(y, merged)], { axis: first, keepdims: true });
    y = reshape(
      reduced,
      y.shape.map((d, i) => (i >= first && i <= last ? 1 : d)),
    );
  }
  if (keepdims) return y;
  return reshape(
    y,
    x.shape.filter((_, i) => !list.includes(i)),
  );
}

/** `axes` of a rank-`rank` tensor (all when undefined) made non-negative, or a ShapeError naming `name` for one out of range or repeated. */
export function reducedAxes(name: string, axes: Axes, rank: number): number[] {
  const list = axes === undefined ? [...Array(rank).keys()] : (typeof axes === 'number' ? [axes] : [...axes]).map((a) => normalizeAxis(name, a, rank));
  if (new Set(list).size !== list.length) throw new ShapeError(`${name}: axis repeated in ${JSON.stringify(axes)}`);
  return list;
}

/** Runs of consecutive axes [first, last], highest run first, so earlier axis numbers stay valid. */
function axisRuns(axes: readonly number[]): [number, number][] {
  const sorted = [...axes].sort((a, b) => b - a);
  const runs: [number, number][] = [];
  for (const axis of sorted) {
    const run = runs[runs.length - 1];
    if (run && run[0] === axis + 1) run[0] = axis;
    else runs.push([axis, axis]);
  }
  return runs;
}
