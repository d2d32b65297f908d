// Dropout with a mask that is never stored: draw j is word j % 4 of Philox4x32-10 at counter
// (j / 4, step, 0, 0) under the layer's key, and element i keeps its value, scaled by 1 / (1 - p),
// iff draw(i / CHANNEL) >= threshold. The mask is a pure function of (key, step, index), so the
// backward pass regenerates it by running this same kernel on dy, and src/ops/dropout.ts's CPU
// reference computes the identical mask. CHANNEL = 1 is plain dropout; CHANNEL = H * W draws once
// per (n, c) channel (nn.Dropout2d). src/ops/dropout.ts prepends shaders/philox.wgsl.
//
// One invocation per Philox block, that is per 4 draws: all four words of a block are used. Philox
// is most of this kernel's cost on a software adapter (one block per element was ten times slower on
// SwiftShader). On a GPU the arithmetic is cheap and the parallelism is what counts: with PER_ELEMENT
// (a variant offered to tuning on hardware adapters) each invocation writes one element and computes
// the block its draw is in, so that dropout2d's channels no longer loop over H * W elements in one
// invocation. Both forms write the same bytes.

struct Params {
  key: vec2<u32>,
  threshold: u32,   // round(p * 2^32), clamped to u32
  scale_bits: u32,  // bitcast<u32>(f32(1 / (1 - p)))
  drop_all: u32,    // 1 when p = 1: every element is dropped (no threshold expresses that)
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> step: array<i32, 1>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

override N: u32;
override CHANNEL: u32 = 1u;
override PER_ELEMENT: bool = false;

fn keepScaled(i: u32, keep: bool) -> f32 {
  return select(0.0, x[i] * bitcast<f32>(params.scale_bits), keep);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let index = gid.x + gid.y * groups.x * 64u;
  if (PER_ELEMENT) {
    if (index >= N) { return; }
    let j = index / CHANNEL;
    let word = philox4x32(vec4<u32>(j / 4u, bitcast<u32>(step[0]), 0u, 0u), params.key)[j % 4u];
    y[index] = keepScaled(index, word >= params.threshold && params.drop_all == 0u);
    return;
  }
  let block = index;
  let draws = N / CHANNEL;
  let j0 = block * 4u;
  if (j0 >= draws) { return; }
  let words = philox4x32(vec4<u32>(block, bitcast<u32>(step[0]), 0u, 0u), params.key);
  let keep = (words >= vec4<u32>(params.threshold)) & vec4<bool>(params.drop_all == 0u);
  if (CHANNEL == 1u && j0 + 4u <= N) {
    y[j0] = keepScaled(j0, keep.x);
    y[j0 + 1u] = keepScaled(j0 + 1u, keep.y);
    y[j0 + 2u] = keepScaled(j0 + 2u, keep.z);
    y[j0 + 3u] = keepScaled(j0 + 3u, keep.w);
    return;
  }
  for (var w = 0u; w < 4u && j0 + w < draws; w++) {
    for (var i = (j0 + w) * CHANNEL; i < (j0 + w + 1u) * CHANNEL; i++) { y[i] = keepScaled(i, keep[w]); }
  }
}
