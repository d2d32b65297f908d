// Fused attention forward: out_i = Σ_j softmax_j(score(i, j)) v_j, by one invocation per query row
// with an online softmax over the keys (a running maximum m and sum l; the row of out, which this
// invocation alone writes, holds the running weighted sum and is rescaled when m grows). Dropout
// scales the weights that weigh the values, not those the softmax sums: weight_mask (see
// shaders/attention_dropout.wgsl) multiplies p only where v is added.
@group(0) @binding(0) var<storage, read> q: array<f32>;
@group(0) @binding(1) var<storage, read> k: array<f32>;
@group(0) @binding(2) var<storage, read> v: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let row = flat_index(gid, groups);
  if (row >= BH * T) { return; }
  let b = row / T;
  let i = row % T;
  let o = row * DV;
  for (var d = 0u; d < DV; d++) { out[o + d] = 0.0; }
  var m = NEG_BIG;
  var l = 0.0;
  for (var j = 0u; j < keys_seen(i); j++) {
    let s = score(b, i, j);
    let m_new = max(m, s);
    let alpha = exp(m - m_new);
    let p = exp(s - m_new);
    l = l * alpha + p;
    let vj = (b * S + j) * DV;
    let pv = p * weight_mask(b, i, j);
    for (var d = 0u; d < DV; d++) { out[o + d] = out[o + d] * alpha + pv * v[vj + d]; }
    m = m_new;
  }
  for (var d = 0u; d < DV; d++) { out[o + d] = out[o + d] / l; }
}
