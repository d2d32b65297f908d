// Dropout with a mask that is never stored: element i keeps its value, scaled by 1 / (1 - p), iff
// draw(i / CHANNEL) >= threshold, where draw(j) is word 0 of Philox4x32-10 at counter (j, step, 0, 0)
// under the layer's key. The mask is a pure function of (key, step, index), so the backward pass
// regenerates it by running this same kernel on dy, and src/ops/dropout.ts's CPU reference computes
// the identical mask. CHANNEL = 1 is plain dropout; CHANNEL = H * W draws once per (n, c) channel
// (nn.Dropout2d). src/ops/dropout.ts prepends shaders/philox.wgsl, which defines philox4x32().

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

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * 64u;
  if (i >= N) { return; }
  let draw = philox4x32(vec4<u32>(i / CHANNEL, bitcast<u32>(step[0]), 0u, 0u), params.key).x;
  let keep = draw >= params.threshold && params.drop_all == 0u;
  y[i] = select(0.0, x[i] * bitcast<f32>(params.scale_bits), keep);
}
