// The geometry and the scores of fused attention (src/ops/flash-attention.ts), shared by its kernels
// (shaders/attention.wgsl, attention_lse.wgsl, attention_grad_qk.wgsl, attention_grad_v.wgsl), which
// declare `q` [BH, T, D] and `k` [BH, S, D]. The kernels give one invocation a query row (or, for the
// key and value gradients, a key row) and loop over the other axis, so the [T, S] scores are never
// stored: each is recomputed where it is needed.

override BH: u32;       // the batch axes (batch and heads), flattened
override T: u32;        // queries
override S: u32;        // keys and values
override D: u32;        // query and key width
override DV: u32;       // value width
override SCALE: f32;
override CAUSAL: bool;  // query i sees keys 0..i (top-left aligned, as torch's is_causal)

// Below any score: exp(NEG_BIG - s) is 0, and it stays finite.
const NEG_BIG = -3.0e38;

fn score(b: u32, i: u32, j: u32) -> f32 {
  let qi = (b * T + i) * D;
  let kj = (b * S + j) * D;
  var s = 0.0;
  for (var d = 0u; d < D; d++) { s += q[qi + d] * k[kj + d]; }
  return s * SCALE;
}

// Keys query row i sees: [0, keys_seen(i)).
fn keys_seen(i: u32) -> u32 {
  if (CAUSAL) { return min(S, i + 1u); }
  return S;
}

// The first query row that sees key j (rows first_query(j) .. T - 1 do).
fn first_query(j: u32) -> u32 {
  if (CAUSAL) { return j; }
  return 0u;
}

fn flat_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * 64u;
}
