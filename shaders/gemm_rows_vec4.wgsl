// `a` bound as vec4s, the left operand's rows read four k at a time (see shaders/gemm_rows_f32.wgsl
// for the interface). Each of the tile's 16 rows then takes one vec4 load per 4 k instead of four
// scalar loads, which pays on llvmpipe, where every storage load is a bounds-checked load per SIMD
// lane whatever its width (MNIST's conv2 forward 67 -> 56 ms, its weight gradient 65 -> 51 ms); on
// SwiftShader a vec4 load costs four gathers, and the subgroup rows stay faster there. Compile-time
// tuning chooses (src/ops/gemm-dispatch.ts).
// A kernel gets this snippet only where every row it reads starts at a multiple of 4 floats and its
// k runs in whole blocks of 4 (the op's lowering checks), and then runs its K_BLOCK == 4 loop.

alias AElement = vec4<f32>;

const K_BLOCK = 4u;

// One float (the kernels' single-k loops, dead code with this snippet).
fn aAt(i: u32) -> f32 {
  return a[i / 4u][i % 4u];
}

// a[i..i+3] with i a multiple of 4: one load.
fn aQuad(i: u32) -> vec4<f32> {
  return a[i / 4u];
}
