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

// Each invocation updates PER consecutive elements: on a software adapter the cost of an invocation
// dwarfs that of one element's update (one element each measured about 2x slower on SwiftShader).
const PER = 4u;

fn first(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return (gid.x + gid.y * groups.x * 64u) * PER;
}

fn plainAt(i: u32) {
  let d = g[i] + hyper[2] * p[i];
  p[i] = p[i] - hyper[0] * d;
}

fn momentumAt(i: u32) {
  let mu = hyper[1];
  let d = g[i] + hyper[2] * p[i];
  let vel = mu * v[i] + d;
  v[i] = vel;
  let step = select(vel, d + mu * vel, NESTEROV);
  p[i] = p[i] - hyper[0] * step;
}

@compute @workgroup_size(64)
fn plain(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = first(gid, groups);
  if (i + PER <= N) {
    plainAt(i); plainAt(i + 1u); plainAt(i + 2u); plainAt(i + 3u);
    return;
  }
  for (var j = i; j < N; j++) { plainAt(j); }
}

@compute @workgroup_size(64)
fn momentum(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = first(gid, groups);
  if (i + PER <= N) {
    momentumAt(i); momentumAt(i + 1u); momentumAt(i + 2u); momentumAt(i + 3u);
    return;
  }
  for (var j = i; j < N; j++) { momentumAt(j); }
}
