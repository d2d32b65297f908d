// Code and workgroup sizes for the register-tiled GEMM kernels (matmul and the three conv2d kernels).
// Each kernel comes twice: with shaders/gemm_rows_plain.wgsl, and, for devices with the `subgroups`
// feature, with shaders/gemm_rows_subgroup.wgsl (each followed by shaders/gemm_rows.wgsl), which
// shares the loads of the tile's 16 rows across a subgroup (the MNIST step about 15% faster on
// SwiftShader). That one is the default wherever it can run, and compile-time tuning
// (src/graph/tuning.ts) may still pick the plain one where it times faster.
// Workgroups: 64 invocations, fewer when that would leave fewer than 4 groups, because a software
// adapter spreads workgroups (not invocations) over its CPU threads. That default is a guess that
// holds on SwiftShader; gemmVariants() offers the other sizes to tuning. Every size is a multiple of
// 4, which the subgroup rows rely on.
import rowsCommon from '../../shaders/gemm_rows.wgsl';
import rowsPlain from '../../shaders/gemm_rows_plain.wgsl';
import rowsSubgroup from '../../shaders/gemm_rows_subgroup.wgsl';
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

/** A GEMM kernel's module with each rows snippet, which goes first (it may hold `enable subgroups`). */
export interface GemmCode {
  plain: string;
  subgroup: string;
}

export function gemmCode(...parts: string[]): GemmCode {
  const body = parts.join('\n');
  return { plain: `${rowsPlain}\n${rowsCommon}\n${body}`, subgroup: `${rowsSubgroup}\n${rowsCommon}\n${body}` };
}

/**
 * The variants worth timing for `invocations` invocations, today's choice first: the subgroup code
 * at the default workgroup size (offered only where the device has subgroups), then the plain code at
 * that size and at the others in TUNED_SIZES, except sizes larger than the whole dispatch (one group,
 * mostly idle). `extra` constants (a split count) go into every variant, and `suffix` into every name.
 */
export function gemmVariants(code: GemmCode, invocations: number, extra: Record<string, number> = {}, suffix = ''): KernelVariant[] {
  const { size } = gemmWorkgroups(invocations);
  const sizes = [size, ...TUNED_SIZES.filter((s) => s !== size && s <= invocations)];
  const plain = sizes.map((s): KernelVariant => ({ name: `wg${s}${suffix}`, constants: { ...extra, WG: s }, workgroups: dispatch1d(invocations, s), code: code.plain }));
  return [{ ...plain[0]!, name: `wg${size}${suffix}.subgroup`, code: code.subgroup, feature: 'subgroups' }, ...plain];
}

/**
 * A call with its variants listed for tuning. The call itself runs the first variant that needs no
 * feature, so it runs on any device; the tuner starts from the first variant the device can run.
 */
export function tunableCall(base: Omit<KernelCall, 'workgroups' | 'variants' | 'code'>, variants: readonly KernelVariant[]): KernelCall {
  const first = variants.find((v) => v.feature === undefined);
  if (!first?.code) throw new Error(`internal: ${base.label ?? 'kernel'} offers no variant that runs everywhere`);
  return { ...base, code: first.code, constants: { ...base.constants, ...first.constants }, workgroups: first.workgroups, variants };
}
