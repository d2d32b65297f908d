// Each query row's log-sum-exp of its scores, log Σ_j exp(score(i, j)), by an online maximum: what
// the backward kernels turn a recomputed score into its softmax weight with, exp(score - lse).
@group(0) @binding(0) var<storage, read> q: array<f32>;
@group(0) @binding(1) var<storage, read> k: array<f32>;
@group(0) @binding(2) var<storage, read_write> lse: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let row = flat_index(gid, groups);
  if (row >= BH * T) { return; }
  let b = row / T;
  let i = row % T;
  var m = NEG_BIG;
  var l = 0.0;
  for (var j = 0u; j < keys_seen(i); j++) {
    let s = score(b, i, j);
    let m_new = max(m, s);
    l = l * exp(m - m_new) + exp(s - m_new);
    m = m_new;
  }
  lse[row] = m + log(l);
}
