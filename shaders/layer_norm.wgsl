// layer_norm forward over rows of D elements (the normalized shape, flattened):
// y = (x - mean) / sqrt(var + EPS) * w + b. Without a weight or a bias, x is bound in their slot,
// never read. Two entry points, picked as for the other row kernels (src/ops/axis-kernel.ts): `rows`,
// one invocation per row (many short rows; software adapters, where barriers are slow), and `wide`,
// one workgroup of WIDE invocations per row. The statistics come from shaders/layer_norm_stats.wgsl;
// WIDE, `partial` and combine_partials() from shaders/row_combine.wgsl (both appended by the op).
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

override D: u32;
override ROWS: u32;
override EPS: f32;
override HAS_W: u32;
override HAS_B: u32;

fn normalized(base: u32, i: u32, stats: vec2<f32>) -> f32 {
  var r = (x[base + i] - stats.x) * stats.y;
  if (HAS_W == 1u) { r *= w[i]; }
  if (HAS_B == 1u) { r += b[i]; }
  return r;
}

@compute @workgroup_size(64)
fn rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let row = gid.x + gid.y * groups.x * 64u;
  if (row >= ROWS) { return; }
  let base = row * D;
  let stats = row_stats(base);
  for (var i = 0u; i < D; i++) { y[base + i] = normalized(base, i, stats); }
}

@compute @workgroup_size(WIDE)
fn wide(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  // One workgroup per row (at most 65,535 of them: src/ops/axis-kernel.ts); the barriers stay
  // uniform because a whole workgroup has the same row.
  let row = wg.x;
  let base = min(row, ROWS - 1u) * D;
  let stats = wide_row_stats(base, lid);
  if (row >= ROWS) { return; }
  for (var i = lid; i < D; i += WIDE) { y[base + i] = normalized(base, i, stats); }
}
