// Each channel's batch mean and unbiased variance (over M - 1, as PyTorch updates running_var with),
// written as [mean_0 .. mean_{C-1}, var_0 .. var_{C-1}]: what BatchNorm's running statistics move
// toward. Entry points as in shaders/batch_norm.wgsl.
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> stats: array<f32>;

override C: u32;
override S: u32;
override M: u32;
override EPS: f32 = 0.0;

fn unbiased(q: f32) -> f32 {
  return q / f32(max(M, 2u) - 1u);
}

@compute @workgroup_size(64)
fn rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let c = gid.x + gid.y * groups.x * 64u;
  if (c >= C) { return; }
  let m = channel_moments(c);
  stats[c] = m.x;
  stats[C + c] = unbiased(m.y);
}

@compute @workgroup_size(WIDE)
fn wide(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let c = wg.x;
  let m = wide_channel_moments(min(c, C - 1u), lid);
  if (c >= C || lid != 0u) { return; }
  stats[c] = m.x;
  stats[C + c] = unbiased(m.y);
}
