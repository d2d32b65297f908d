// layer_norm backward for its input, with the forward's two entry points (shaders/layer_norm.wgsl),
// recomputing the row's mean and 1/std (shaders/layer_norm_stats.wgsl) rather than storing them:
// with g = dy * w and x̂ the normalized row, dx = rstd * (g - mean(g) - x̂ * mean(g * x̂)). Without a
// weight, x is bound in its slot.
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

override D: u32;
override ROWS: u32;
override EPS: f32;
override HAS_W: u32;

fn scaled(base: u32, i: u32) -> f32 {
  if (HAS_W == 1u) { return dy[base + i] * w[i]; }
  return dy[base + i];
}

// rstd * (g - mean(g) - x̂ * mean(g x̂)) for element i, given the row's statistics and those means.
fn input_grad(base: u32, i: u32, stats: vec2<f32>, mean_g: f32, mean_gx: f32) -> f32 {
  let xhat = (x[base + i] - stats.x) * stats.y;
  return stats.y * (scaled(base, i) - mean_g - xhat * mean_gx);
}

@compute @workgroup_size(64)
fn rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let row = gid.x + gid.y * groups.x * 64u;
  if (row >= ROWS) { return; }
  let base = row * D;
  let stats = row_stats(base);
  var sg = 0.0;
  var sgx = 0.0;
  for (var i = 0u; i < D; i++) {
    let g = scaled(base, i);
    sg += g;
    sgx += g * (x[base + i] - stats.x) * stats.y;
  }
  for (var i = 0u; i < D; i++) { dx[base + i] = input_grad(base, i, stats, sg / f32(D), sgx / f32(D)); }
}

@compute @workgroup_size(WIDE)
fn wide(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = wg.x;
  let base = min(row, ROWS - 1u) * D;
  let stats = wide_row_stats(base, lid);
  var sg = 0.0;
  var sgx = 0.0;
  for (var i = lid; i < D; i += WIDE) {
    let g = scaled(base, i);
    sg += g;
    sgx += g * (x[base + i] - stats.x) * stats.y;
  }
  // Into vars first, as in shaders/layer_norm_stats.wgsl.
  partial[lid] = sg;
  sg = combine_partials(lid, false);
  partial[lid] = sgx;
  sgx = combine_partials(lid, false);
  if (row >= ROWS) { return; }
  for (var i = lid; i < D; i += WIDE) { dx[base + i] = input_grad(base, i, stats, sg / f32(D), sgx / f32(D)); }
}
