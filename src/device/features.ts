// Optional WebGPU features Kiln turns on when the adapter offers them. Nothing depends on them to
// run; they only add abilities (timestamp-query: per-kernel GPU times for `kiln profile`; subgroups:
// GEMM kernels that share loads across a subgroup, src/ops/gemm-dispatch.ts).

export const OPTIONAL_FEATURES: readonly GPUFeatureName[] = ['timestamp-query', 'subgroups'];

/** The optional features this adapter offers, for requestDevice's requiredFeatures. */
export function optionalFeatures(adapter: GPUAdapter): GPUFeatureName[] {
  return OPTIONAL_FEATURES.filter((feature) => adapter.features.has(feature));
}
