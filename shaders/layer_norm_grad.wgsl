// layer_norm backward for its input, with the forward's two entry points (shaders/layer_norm.wgsl),
// recomputing the row's mean and 1/std rather than storing them: with g = dy * w and x̂ the
// normalized row, dx = rstd * (g - mean(g) - x̂ * mean(g * x̂)). Without a weight, x is bound in its slot.
// As in the forward, each combine_partials() result goes into a var before it is used: see there.
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

@compute @workgroup_size(64)
fn rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let row = gid.x + gid.y * groups.x * 64u;
  if (row >= ROWS) { return; }
  let base = row * D;
  var s = 0.0;
  for (var i = 0u; i < D; i++) { s += x[base + i]; }
  let mean = s / f32(D);
  var q = 0.0;
  for (var i = 0u; i < D; i++) {
    let d = x[base + i] - mean;
    q += d * d;
  }
  let rstd = inverseSqrt(q / f32(D) + EPS);
  var sg = 0.0;
  var sgx = 0.0;
  for (var i = 0u; i < D; i++) {
    let g = scaled(base, i);
    sg += g;
    sgx += g * (x[base + i] - mean) * rstd;
  }
  let mean_g = sg / f32(D);
  let mean_gx = sgx / f32(D);
  for (var i = 0u; i < D; i++) {
    let xhat = (x[base + i] - mean) * rstd;
    dx[base + i] = rstd * (scaled(base, i) - mean_g - xhat * mean_gx);
  }
}

@compute @workgroup_size(WIDE)
fn wide(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = wg.x;
  let base = min(row, ROWS - 1u) * D;
  var s = 0.0;
  for (var i = lid; i < D; i += WIDE) { s += x[base + i]; }
  partial[lid] = s;
  s = combine_partials(lid, false);
  let mean = s / f32(D);
  var q = 0.0;
  for (var i = lid; i < D; i += WIDE) {
    let d = x[base + i] - mean;
    q += d * d;
  }
  partial[lid] = q;
  q = combine_partials(lid, false);
  let rstd = inverseSqrt(q / f32(D) + EPS);
  var sg = 0.0;
  var sgx = 0.0;
  for (var i = lid; i < D; i += WIDE) {
    let g = scaled(base, i);
    sg += g;
    sgx += g * (x[base + i] - mean) * rstd;
  }
  partial[lid] = sg;
  sg = combine_partials(lid, false);
  partial[lid] = sgx;
  sgx = combine_partials(lid, false);
  let mean_g = sg / f32(D);
  let mean_gx = sgx / f32(D);
  if (row >= ROWS) { return; }
  for (var i = lid; i < D; i += WIDE) {
    let xhat = (x[base + i] - mean) * rstd;
    dx[base + i] = rstd * (scaled(base, i) - mean_g - xhat * mean_gx);
  }
}
