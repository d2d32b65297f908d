// Adam step in place, as torch.optim.Adam (L2 weight decay added to the gradient, amsgrad off):
//   g' = g + weight_decay * p;  m = b1 m + (1 - b1) g';  v = b2 v + (1 - b2) g'^2
//   p = p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
// or, with DECOUPLED, as torch.optim.AdamW: g' = g and p = p (1 - lr weight_decay) first. Elements
// from DECAY_END on are undecayed: one parameter's update sets it to N (decayed) or 0 (AdamW's
// biases and norm weights); every parameter's at once (src/ops/adam-update-flat.ts, the bindings
// spans of packed buffers, the decaying parameters first) to where the undecayed ones start.
// t is the step count, advanced on the GPU by a counter kernel before the updates of each step.
// The entry `scaled` multiplies g by scale[0] first (gradient clipping's factor, folded in by the
// fusion rule of src/graph/fusion/update-grad-scale.ts instead of a multiply per gradient).
@group(0) @binding(0) var<storage, read_write> p: array<f32>;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read> hyper: array<f32, 5>; // lr, beta1, beta2, eps, weight_decay
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;
@group(0) @binding(5) var<storage, read> step: array<i32, 1>;
@group(0) @binding(6) var<storage, read> scale: array<f32>;

override N: u32;
override DECOUPLED: u32 = 0u;
override DECAY_END: u32;

fn update(i: u32, g_i: f32) {
  let lr = hyper[0];
  let b1 = hyper[1];
  let b2 = hyper[2];
  let t = f32(step[0]);
  let wd = select(0.0, hyper[4], i < DECAY_END);
  var param = p[i];
  var grad = g_i + wd * param;
  if (DECOUPLED == 1u) {
    grad = g_i;
    param = param * (1.0 - lr * wd);
  }
  let m1 = b1 * m[i] + (1.0 - b1) * grad;
  let v1 = b2 * v[i] + (1.0 - b2) * grad * grad;
  m[i] = m1;
  v[i] = v1;
  let denom = sqrt(v1) / sqrt(1.0 - pow(b2, t)) + hyper[3];
  p[i] = param - lr / (1.0 - pow(b1, t)) * m1 / denom;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * 64u;
  if (i >= N) { return; }
  update(i, g[i]);
}

@compute @workgroup_size(64)
fn scaled(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * 64u;
  if (i >= N) { return; }
  update(i, g[i] * scale[0]);
}
