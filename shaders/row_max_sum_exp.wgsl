// The row statistics of a stable softmax over logits x[base .. base + C): the row's maximum m and
// s = sum exp(x - m) (every exponent <= 0, so nothing overflows and s >= 1), as (m, s). Shared by the
// fused log_softmax + nll kernels, which declare `x` and the override C.
fn row_max_sum_exp(base: u32) -> vec2<f32> {
  var m = x[base];
  for (var c = 1u; c < C; c++) {
    m = max(m, x[base + c]);
  }
  var s = 0.0;
  for (var c = 0u; c < C; c++) {
    s += exp(x[base + c] - m);
  }
  return vec2<f32>(m, s);
}
