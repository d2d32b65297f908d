// Kernels that work along one axis (reductions, argmax, softmax) view their input as
// [OUTER, LEN, INNER] and come in two entry points: `rows`, one invocation per output row (a plain
// loop; best with many rows), and `wide`, one workgroup per row (strided partials, then a tree in
// workgroup memory; best for a few long rows, where one invocation alone would run serially).
// The lowering picks one by shape for software adapters; on a hardware GPU the other is offered to
// tuning as well (the thresholds below were measured on SwiftShader, where barriers are slow).
import { splitAtAxis, type Shape } from '../graph/shape';
import { dispatch1d, tunableCall, type BindingRef, type KernelCall, type KernelVariant } from './op';

/**
 * Fewer rows than this, of at least WIDE_FROM_LENGTH elements and at least WIDE_ROW_RATIO times as
 * long as there are rows, take the one-workgroup-per-row entry. The ratio keeps `wide` for a few long
 * rows only: a bias gradient's last sum (64 rows of 64) took 7 ms as 64 workgroups of barriers on
 * SwiftShader, where 64 plain loops take well under 1 ms and are no slower on a GPU.
 */
const WIDE_BELOW_ROWS = 256;
const WIDE_FROM_LENGTH = 64;
const WIDE_ROW_RATIO = 4;
/** Invocations of a `wide` workgroup (WIDE in the shaders). */
const WIDE_INVOCATIONS = 128;

export function axisKernel(
  label: string,
  code: string,
  shape: Shape,
  axis: number,
  bindings: BindingRef[],
  constants: Record<string, number> = {},
): KernelCall {
  const { outer, length, inner } = splitAtAxis(shape, axis);
  return tunableCall({ label, constants: { OUTER: outer, LEN: length, INNER: inner, ...constants }, bindings }, axisVariants(code, outer * inner, length));
}

/**
 * The rows and wide entry points of `code` over `rows` outputs of `length` elements each: the one the
 * thresholds above pick first, the other (where it can run) offered on hardware adapters only.
 */
export function axisVariants(code: string, rows: number, length: number): KernelVariant[] {
  const wide = rows < WIDE_BELOW_ROWS && length >= WIDE_FROM_LENGTH && length >= WIDE_ROW_RATIO * rows;
  const asRows: KernelVariant = { name: 'rows', entryPoint: 'rows', constants: {}, workgroups: dispatch1d(rows), code };
  // One workgroup per row, indexed by workgroup_id.x alone: at most 65,535 rows.
  const asWide: KernelVariant | null =
    rows <= 65535 ? { name: 'wide', entryPoint: 'wide', constants: {}, workgroups: [rows, 1, 1], code, needs: { invocations: WIDE_INVOCATIONS } } : null;
  return wide && asWide ? [asWide, onHardwareOnly(asRows)] : [asRows, ...(asWide && length > 1 ? [onHardwareOnly(asWide)] : [])];
}

/** A variant that tuning tries on hardware adapters only. */
export const onHardwareOnly = (v: KernelVariant): KernelVariant => ({ ...v, needs: { ...v.needs, hardware: true } });
