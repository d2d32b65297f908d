// dq and dk of fused attention. With p_ij = exp(score(i, j) - lse_i), dp_ij = dO_i · v_j times the
// weight's dropout mask and delta_i = dO_i · out_i (given): ds_ij = SCALE p_ij (dp_ij - delta_i), dq_i = Σ_j ds_ij k_j (entry
// `query_rows`, one invocation per query row) and dk_j = Σ_i ds_ij q_i over the query rows that see
// key j (entry `key_rows`, one invocation per key row). `grad` is dq or dk.
@group(0) @binding(0) var<storage, read> q: array<f32>;
@group(0) @binding(1) var<storage, read> k: array<f32>;
@group(0) @binding(2) var<storage, read> v: array<f32>;
@group(0) @binding(3) var<storage, read> d_out: array<f32>;
@group(0) @binding(4) var<storage, read> lse: array<f32>;
@group(0) @binding(5) var<storage, read> delta: array<f32>;
@group(0) @binding(6) var<storage, read_write> grad: array<f32>;

fn score_grad(b: u32, i: u32, j: u32) -> f32 {
  let qrow = b * T + i;
  let p = exp(score(b, i, j) - lse[qrow]);
  let vj = (b * S + j) * DV;
  var dp = 0.0;
  for (var d = 0u; d < DV; d++) { dp += d_out[qrow * DV + d] * v[vj + d]; }
  return SCALE * p * (weight_mask(b, i, j) * dp - delta[qrow]);
}

@compute @workgroup_size(64)
fn query_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let row = flat_index(gid, groups);
  if (row >= BH * T) { return; }
  let b = row / T;
  let i = row % T;
  let o = row * D;
  for (var d = 0u; d < D; d++) { grad[o + d] = 0.0; }
  for (var j = 0u; j < keys_seen(i); j++) {
    let ds = score_grad(b, i, j);
    let kj = (b * S + j) * D;
    for (var d = 0u; d < D; d++) { grad[o + d] += ds * k[kj + d]; }
  }
}

@compute @workgroup_size(64)
fn key_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let row = flat_index(gid, groups);
  if (row >= BH * S) { return; }
  let b = row / S;
  let j = row % S;
  let o = row * D;
  for (var d = 0u; d < D; d++) { grad[o + d] = 0.0; }
  for (var i = first_query(j); i < T; i++) {
    let ds = score_grad(b, i, j);
    let qi = (b * T + i) * D;
    for (var d = 0u; d < D; d++) { grad[o + d] += ds * q[qi + d]; }
  }
}
