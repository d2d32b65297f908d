// How the GEMM kernels' left operand `a` is bound and read, one float per element: the usual case.
// Its twin shaders/gemm_rows_vec4.wgsl binds `a` as vec4s. The kernels declare
// `var<storage, read> a: array<AElement>` and read it only through aAt() and aQuad() (in the rows
// snippets), so the same kernel text compiles with either.

alias AElement = f32;

// How many k the kernel's loop takes per accumulate step: 1, so it calls accumulateOwn() or
// accumulateShared() once per k (its K_BLOCK == 4 branch is dead code here).
const K_BLOCK = 1u;

fn aAt(i: u32) -> f32 {
  return a[i];
}

fn aQuad(i: u32) -> vec4<f32> {
  return vec4<f32>(a[i], a[i + 1u], a[i + 2u], a[i + 3u]);
}
