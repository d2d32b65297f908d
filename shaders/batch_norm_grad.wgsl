// dx of training-mode batch_norm, one kernel: with g = dy * w_c and x̂ the normalized input,
// dx = rstd_c * (g - mean_c(g) - x̂ * mean_c(g * x̂)), the statistics recomputed rather than stored.
// Without a weight, x is bound in its slot, never read. Entry points as in shaders/batch_norm.wgsl.
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

override C: u32;
override S: u32;
override M: u32;
override EPS: f32;
override HAS_W: u32;

fn scale(c: u32) -> f32 {
  if (HAS_W == 1u) { return w[c]; }
  return 1.0;
}

@compute @workgroup_size(64)
fn rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let c = gid.x + gid.y * groups.x * 64u;
  if (c >= C) { return; }
  let stats = normalizer(channel_moments(c));
  var sg = 0.0;
  var sgx = 0.0;
  for (var k = 0u; k < M; k++) {
    let i = at(c, k);
    sg += dy[i];
    sgx += dy[i] * (x[i] - stats.x) * stats.y;
  }
  let ws = scale(c);
  let mg = sg * ws / f32(M);
  let mgx = sgx * ws / f32(M);
  for (var k = 0u; k < M; k++) {
    let i = at(c, k);
    dx[i] = stats.y * (dy[i] * ws - mg - (x[i] - stats.x) * stats.y * mgx);
  }
}

@compute @workgroup_size(WIDE)
fn wide(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let c = wg.x;
  let cc = min(c, C - 1u);
  let stats = normalizer(wide_channel_moments(cc, lid));
  var sg = 0.0;
  var sgx = 0.0;
  for (var k = lid; k < M; k += WIDE) {
    let i = at(cc, k);
    sg += dy[i];
    sgx += dy[i] * (x[i] - stats.x) * stats.y;
  }
  partial[lid] = sg;
  sg = combine_partials(lid, false);
  partial[lid] = sgx;
  sgx = combine_partials(lid, false);
  if (c >= C) { return; }
  let ws = scale(c);
  let mg = sg * ws / f32(M);
  let mgx = sgx * ws / f32(M);
  for (var k = lid; k < M; k += WIDE) {
    let i = at(c, k);
    dx[i] = stats.y * (dy[i] * ws - mg - (x[i] - stats.x) * stats.y * mgx);
  }
}
