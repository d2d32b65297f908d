// Adam step in place, as torch.optim.Adam (L2 weight decay added to the gradient, amsgrad off):
//   g' = g + weight_decay * p;  m = b1 m + (1 - b1) g';  v = b2 v + (1 - b2) g'^2
//   p = p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
// t is the step count, advanced on the GPU by a counter kernel before the updates of each step.
@group(0) @binding(0) var<storage, read_write> p: array<f32>;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read> hyper: array<f32, 5>; // lr, beta1, beta2, eps, weight_decay
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;
@group(0) @binding(5) var<storage, read> step: array<i32, 1>;

override N: u32;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * 64u;
  if (i >= N) { return; }
  let lr = hyper[0];
  let b1 = hyper[1];
  let b2 = hyper[2];
  let t = f32(step[0]);
  let grad = g[i] + hyper[4] * p[i];
  let m1 = b1 * m[i] + (1.0 - b1) * grad;
  let v1 = b2 * v[i] + (1.0 - b2) * grad * grad;
  m[i] = m1;
  v[i] = v1;
  let denom = sqrt(v1) / sqrt(1.0 - pow(b2, t)) + hyper[3];
  p[i] = p[i] - lr / (1.0 - pow(b1, t)) * m1 / denom;
}
