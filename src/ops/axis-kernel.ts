// Kernels that work along one axis (reductions, argmax, softmax) view their input as
// [OUTER, LEN, INNER] and come in two entry points: `rows`, one invocation per output row (a plain
// loop; best with many rows), and `wide`, one workgroup per row (strided partials, then a tree in
// workgroup memory; best for a few long rows, where one invocation alone would run serially).
import { splitAtAxis, type Shape } from '../graph/shape';
import { dispatch1d, type BindingRef, type KernelCall } from './op';

/** Fewer rows than this, of at least WIDE_FROM_LENGTH elements, take the one-workgroup-per-row entry. */
const WIDE_BELOW_ROWS = 256;
const WIDE_FROM_LENGTH = 64;

export function axisKernel(label: string, code: string, shape: Shape, axis: number, bindings: BindingRef[], constants: Record<string, number> = {}): KernelCall {
  const { outer, length, inner } = splitAtAxis(shape, axis);
  const rows = outer * inner;
  const wide = rows < WIDE_BELOW_ROWS && length >= WIDE_FROM_LENGTH;
  return {
    label,
    code,
    entryPoint: wide ? 'wide' : 'rows',
    constants: { OUTER: outer, LEN: length, INNER: inner, ...constants },
    bindings,
    workgroups: wide ? [rows, 1, 1] : dispatch1d(rows),
  };
}
