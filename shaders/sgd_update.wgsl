// SGD step in place, as torch.optim.SGD (dampening 0):
//   d = g + weight_decay * p
//   with momentum:  v = momentum * v + d;  d = nesterov ? d + momentum * v : v
//   p = p - lr * d
// The hyperparameters live in a storage buffer so a learning-rate schedule changes them without
// recompiling. With v starting at zero, the first step's v equals d, as PyTorch's first step does.
@group(0) @binding(0) var<storage, read_write> p: array<f32>;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read> hyper: array<f32, 4>; // lr, momentum, weight_decay, unused
@group(0) @binding(3) var<storage, read_write> v: array<f32>;

override N: u32;
override NESTEROV: bool = false;

fn index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * 64u;
}

@compute @workgroup_size(64)
fn plain(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = index(gid, groups);
  if (i >= N) { return; }
  let d = g[i] + hyper[2] * p[i];
  p[i] = p[i] - hyper[0] * d;
}

@compute @workgroup_size(64)
fn momentum(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = index(gid, groups);
  if (i >= N) { return; }
  let mu = hyper[1];
  let d = g[i] + hyper[2] * p[i];
  let vel = mu * v[i] + d;
  v[i] = vel;
  let step = select(vel, d + mu * vel, NESTEROV);
  p[i] = p[i] - hyper[0] * step;
}
