// Code and workgroup sizes for the register-tiled GEMM kernels (matmul and the three conv2d kernels).
// Each kernel comes in up to four forms, its own WGSL after the form's generated prelude
// (src/ops/gemm/register-tile.ts):
// - plain: every invocation loads its tile's rows of `a` itself, `a` bound as floats;
// - subgroup, for devices with the `subgroups` feature: those loads shared across a subgroup (the
//   MNIST step about 15% faster on SwiftShader);
// - quads, where the op says its rows allow it: `a` bound as vec4s and the k loop four k per step
//   (on llvmpipe the conv2 forward and weight gradient about 20% faster);
// - subgroup quads, both at once (on SwiftShader the conv2 forward and weight gradient about 10%
//   faster than the subgroup form, matmul and the input gradient slower).
// The default is the first form the device can run in the order gemmVariants() gives, and
// compile-time tuning (src/graph/tuning.ts) picks whichever times fastest.
// Workgroups: 64 invocations, fewer when that would leave fewer than 4 groups, because a software
// adapter spreads workgroups (not invocations) over its CPU threads. That default is a guess that
// holds on SwiftShader; gemmVariants() offers the other sizes to tuning. Every size is a multiple of
// 4, which the subgroup rows rely on.
import { REGISTER_TILE_FORMS, registerTilePrelude, type RegisterTileForm } from './gemm/register-tile';
import { dispatch1d, WORKGROUP_1D, type KernelVariant } from './op';

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

/** A GEMM kernel's module in each form; the subgroup one goes first (it holds `enable subgroups`). */
export interface GemmCode {
  plain: string;
  subgroup: string;
  quads: string;
  subgroupQuads: string;
}

/** A kernel's module in each form: the form's prelude, then `parts` (the kernel's own WGSL last). */
export function gemmCode(...parts: string[]): GemmCode {
  const module = (form: RegisterTileForm) => `${registerTilePrelude(form)}\n\n${parts.join('\n')}`;
  return {
    plain: module(REGISTER_TILE_FORMS.plain),
    subgroup: module(REGISTER_TILE_FORMS.subgroup),
    quads: module(REGISTER_TILE_FORMS.quads),
    subgroupQuads: module(REGISTER_TILE_FORMS.subgroupQuads),
  };
}

export interface GemmVariantOptions {
  /** Constants every variant gets (a split count). */
  extra?: Record<string, number>;
  /**
   * Whether the kernel may read `a` as vec4s four k at a time: every row it reads starts at a
   * multiple of 4 floats and its k runs in whole blocks of 4 (each op states its own condition).
   */
  quads?: boolean;
  /** Whether the quads forms lead the list (the op measured them faster), else the subgroup form. */
  quadsFirst?: boolean;
}

/**
 * The variants worth timing for `invocations` invocations, today's choice first: the subgroup code
 * at the default workgroup size (offered only where the device has subgroups), where the op allows
 * quads the subgroup quads and quads codes at that size (the subgroup quads first when the op says
 * `quadsFirst`), then the plain code at that size and at the others in TUNED_SIZES,
 * except sizes larger than the whole dispatch (one group, mostly idle).
 */
export function gemmVariants(code: GemmCode, invocations: number, options: GemmVariantOptions = {}): KernelVariant[] {
  const { extra = {}, quads = false, quadsFirst = false } = options;
  const { size } = gemmWorkgroups(invocations);
  const sizes = [size, ...TUNED_SIZES.filter((s) => s !== size && s <= invocations)];
  const plain = sizes.map((s): KernelVariant => ({ name: `wg${s}`, constants: { ...extra, WG: s }, workgroups: dispatch1d(invocations, s), code: code.plain }));
  const first = plain[0]!;
  const subgroup: KernelVariant = { ...first, name: `wg${size}.subgroup`, code: code.subgroup, feature: 'subgroups' };
  if (!quads) return [subgroup, ...plain];
  const subgroupQuads: KernelVariant = { ...subgroup, name: `${subgroup.name}.quads`, code: code.subgroupQuads };
  const ownQuads: KernelVariant = { ...first, name: `wg${size}.quads`, code: code.quads };
  return quadsFirst ? [subgroupQuads, subgroup, ownQuads, ...plain] : [subgroup, subgroupQuads, ownQuads, ...plain];
}
