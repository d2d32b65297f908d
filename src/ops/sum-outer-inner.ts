// sum_outer_inner: the sum of a tensor viewed as [OUTER, KEPT, INNER] over its first and last axes, in
// one dispatch (shaders/sum_outer_inner.wgsl). sum() uses it where the axes it reduces are a leading
// and a trailing run around kept ones, such as [0, 2, 3] of NCHW: a conv bias gradient, which as a
// chain of single-run reductions would take two dispatches.
import code from '../../shaders/sum_outer_inner.wgsl';
import { fmt, ShapeError } from '../graph/shape';
import type { Tensor } from '../graph/tensor';
import { axisVariants, onHardwareOnly } from './axis-kernel';
import { broadcastTo } from './broadcast-to';
import { defineOp, tunableCall, type KernelVariant } from './op';
import { reshape } from './reshape';

type Attrs = Record<string, never>;

export const sumOuterInnerOp = defineOp<Attrs>({
  name: 'sum_outer_inner',
  infer([x]) {
    if (x!.dtype !== 'f32' || x!.shape.length !== 3)
      throw new ShapeError(`sum_outer_inner: input must be f32 [OUTER, KEPT, INNER], got ${x!.dtype}${fmt(x!.shape)}`);
    return { shape: [1, x!.shape[1]!, 1], dtype: 'f32' };
  },
  lower(node) {
    const [outer, kept, inner] = node.inputs[0]!.shape as [number, number, number];
    const axis = axisVariants(code, kept, outer * inner);
    // Whole runs per lane where there are several runs (one workgroup per output: at most 65,535):
    // the default on software adapters; the others (lanes across a run, coalesced on a GPU) are
    // offered to tuning on hardware.
    const runs: KernelVariant = { name: 'runs', entryPoint: 'runs', constants: {}, workgroups: [kept, 1, 1], code, needs: { invocations: 64 } };
    const variants = kept <= 65535 && outer > 1 ? [runs, ...axis.map(onHardwareOnly)] : axis;
    return [
      tunableCall({ label: 'sum_outer_inner', constants: { OUTER: outer, KEPT: kept, INNER: inner }, bindings: [{ input: 0 }, { output: true }] }, variants),
    ];
  },
  grad: ({ inputs: [x], dy }) => [broadcastTo(dy, x!.shape)],
  cpu([x], _attrs, out) {
    const [outer, kept, inner] = x!.shape as [number, number, number];
    const data = new Float64Array(kept);
    for (let a = 0; a < outer; a++) for (let k = 0; k < kept; k++) for (let b = 0; b < inner; b++) data[k] += x!.data[(a * kept + k) * inner + b]!;
    return { shape: out.shape, dtype: 'f32', data };
  },
});

/**
 * The kept axes [first, last] where the sorted, distinct `axes` of a rank-`rank` tensor are exactly a
 * leading run from 0 and a trailing run to the last axis, with kept axes between; null otherwise.
 */
export function keptMiddle(axes: readonly number[], rank: number): [number, number] | null {
  const reduced = new Set(axes);
  let first = 0;
  while (reduced.has(first)) first++;
  let last = rank - 1;
  while (reduced.has(last)) last--;
  if (first === 0 || last === rank - 1 || first > last) return null;
  for (let i = first; i <= last; i++) if (reduced.has(i)) return null;
  return [first, last];
}

/** x summed over the axes around its kept axes [first, last], keeping every axis (size 1 where summed). */
export function sumOuterInner(x: Tensor, [first, last]: [number, number]): Tensor<'f32'> {
  const size = (from: number, to: number) => x.shape.slice(from, to).reduce((a, b) => a * b, 1);
  const summed = x.graph.applyF32(sumOuterInnerOp, [reshape(x, [size(0, first), size(first, last + 1), size(last + 1, x.shape.length)])], {});
  return reshape(
    summed,
    x.shape.map((d, i) => (i >= first && i <= last ? d : 1)),
  );
}
