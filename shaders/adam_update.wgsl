// Adam step in place, as torch.optim.Adam (L2 weight decay added to the gradient, amsgrad off):
//   g' = g + weight_decay * p;  m = b1 m + (1 - b1) g';  v = b2 v + (1 - b2) g'^2
//   p = p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
// or, with DECOUPLED, as torch.optim.AdamW: g' = g and p = p (1 - lr weight_decay) first. DECAY = 0
// leaves this parameter undecayed (AdamW's biases and norm weights).
// t is the step count, advanced on the GPU by a counter kernel before the updates of each step.
@group(0) @binding(0) var<storage, read_write> p: array<f32>;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read> hyper: array<f32, 5>; // lr, beta1, beta2, eps, weight_decay
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;
@group(0) @binding(5) var<storage, read> step: array<i32, 1>;

override N: u32;
override DECOUPLED: u32 = 0u;
override DECAY: u32 = 1u;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * 64u;
  if (i >= N) { return; }
  let lr = hyper[0];
  let b1 = hyper[1];
  let b2 = hyper[2];
  let t = f32(step[0]);
  let wd = select(0.0, hyper[4], DECAY == 1u);
  var param = p[i];
  var grad = g[i] + wd * param;
  if (DECOUPLED == 1u) {
    grad = g[i];
    param = param * (1.0 - lr * wd);
  }
  let m1 = b1 * m[i] + (1.0 - b1) * grad;
  let v1 = b2 * v[i] + (1.0 - b2) * grad * grad;
  m[i] = m1;
  v[i] = v1;
  let denom = sqrt(v1) / sqrt(1.0 - pow(b2, t)) + hyper[3];
  p[i] = param - lr / (1.0 - pow(b1, t)) * m1 / denom;
}
