// An exponential moving average in place, running = (1 - MOMENTUM) * running + MOMENTUM * value, with
// value read from OFFSET on: BatchNorm's running_mean and running_var moving toward a batch's
// statistics (rows 0 and 1 of batch_norm_stats' [2, C] output), as PyTorch's momentum means it.
@group(0) @binding(0) var<storage, read_write> running: array<f32>;
@group(0) @binding(1) var<storage, read> value: array<f32>;

override N: u32;
override OFFSET: u32 = 0u;
override MOMENTUM: f32;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * 64u;
  if (i >= N) { return; }
  running[i] = (1.0 - MOMENTUM) * running[i] + MOMENTUM * value[OFFSET + i];
}
