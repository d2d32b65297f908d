// batch_norm forward in training mode: each channel normalized with its batch statistics,
// y = (x - mean_c) / sqrt(var_c + EPS) * w_c + b_c. Without a weight or a bias, x is bound in their
// slot, never read. `rows`: one invocation per channel (many small channels); `wide`: one workgroup
// per channel (the usual case: few channels of N * H * W elements each).
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

override C: u32;
override S: u32;
override M: u32;
override EPS: f32;
override HAS_W: u32;
override HAS_B: u32;

fn affine(c: u32, k: u32, stats: vec2<f32>) {
  let i = at(c, k);
  var r = (x[i] - stats.x) * stats.y;
  if (HAS_W == 1u) { r *= w[c]; }
  if (HAS_B == 1u) { r += b[c]; }
  y[i] = r;
}

@compute @workgroup_size(64)
fn rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let c = gid.x + gid.y * groups.x * 64u;
  if (c >= C) { return; }
  let stats = normalizer(channel_moments(c));
  for (var k = 0u; k < M; k++) { affine(c, k, stats); }
}

@compute @workgroup_size(WIDE)
fn wide(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let c = wg.x;
  let stats = normalizer(wide_channel_moments(min(c, C - 1u), lid));
  if (c >= C) { return; }
  for (var k = lid; k < M; k += WIDE) { affine(c, k, stats); }
}
