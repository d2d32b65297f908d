// dv of fused attention, one invocation per key row j: dv_j = Σ_i p_ij dO_i over the query rows that
// see key j, p_ij = exp(score(i, j) - lse_i) times its dropout mask (as in shaders/attention_grad_qk.wgsl).
@group(0) @binding(0) var<storage, read> q: array<f32>;
@group(0) @binding(1) var<storage, read> k: array<f32>;
@group(0) @binding(2) var<storage, read> d_out: array<f32>;
@group(0) @binding(3) var<storage, read> lse: array<f32>;
@group(0) @binding(4) var<storage, read_write> dv: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let row = flat_index(gid, groups);
  if (row >= BH * S) { return; }
  let b = row / S;
  let j = row % S;
  let o = row * DV;
  for (var d = 0u; d < DV; d++) { dv[o + d] = 0.0; }
  for (var i = first_query(j); i < T; i++) {
    let qrow = b * T + i;
    let p = exp(score(b, i, j) - lse[qrow]) * weight_mask(b, i, j);
    for (var d = 0u; d < DV; d++) { dv[o + d] += p * d_out[qrow * DV + d]; }
  }
}
