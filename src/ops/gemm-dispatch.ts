// Workgroup sizes for the register-tiled GEMM kernels (matmul and the three conv2d kernels): 64
// invocations per group, fewer when that would leave fewer than 4 groups, because a software adapter
// spreads workgroups (not invocations) over its CPU threads. That default is a guess that holds on
// SwiftShader; gemmVariants() offers the other sizes to compile-time tuning (src/graph/tuning.ts).
import { dispatch1d, WORKGROUP_1D, type KernelCall, type KernelVariant } from './op';

const MIN_WORKGROUPS = 4;
const SMALLEST_WORKGROUP = 16;
/**
 * Workgroup sizes tuning may try. 128 is the most invocations per workgroup WebGPU guarantees in
 * compatibility mode (llvmpipe through OpenGL ES), so every size here runs on every adapter.
 */
const TUNED_SIZES = [16, 32, 64, 128] as const;

export function gemmWorkgroups(invocations: number): { workgroups: [number, number, number]; size: number } {
  let size = WORKGROUP_1D;
  while (size > SMALLEST_WORKGROUP && Math.ceil(invocations / size) < MIN_WORKGROUPS) size /= 2;
  return { workgroups: dispatch1d(invocations, size), size };
}

/**
 * The workgroup sizes worth timing for `invocations` invocations, today's choice first: the others
 * in TUNED_SIZES, except sizes larger than the whole dispatch (one group, mostly idle). `extra`
 * constants (a split count) go into every variant, and `suffix` into every name.
 */
export function gemmVariants(invocations: number, extra: Record<string, number> = {}, suffix = ''): KernelVariant[] {
  const { size } = gemmWorkgroups(invocations);
  const sizes = [size, ...TUNED_SIZES.filter((s) => s !== size && s <= invocations)];
  return sizes.map((s) => ({ name: `wg${s}${suffix}`, constants: { ...extra, WG: s }, workgroups: dispatch1d(invocations, s) }));
}

/** A call running its first variant (today's choice), with the variants listed for tuning. */
export function tunableCall(base: Omit<KernelCall, 'workgroups' | 'variants'>, variants: readonly KernelVariant[]): KernelCall {
  const first = variants[0];
  if (!first) throw new Error(`internal: ${base.label ?? 'kernel'} offers no variant`);
  return { ...base, constants: { ...base.constants, ...first.constants }, workgroups: first.workgroups, variants };
}
