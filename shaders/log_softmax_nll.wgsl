// log_softmax_nll: nll_loss(log_softmax(x, 1), labels) for logits x [B, C], in one dispatch of one
// workgroup: -mean over b of log_softmax(x)[b, labels[b]]. For row b, with m the row's maximum and
// s = sum exp(x - m) (every exponent <= 0, so nothing overflows and s >= 1), the log-probability of
// the label is x[b, label] - m - log(s), as in softmax.wgsl. Followed by shaders/nll_mean.wgsl (the
// overrides, the reduction over the batch, invalid labels and the entry point), as nll_loss is.
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> labels: array<i32>;
@group(0) @binding(2) var<storage, read_write> loss: array<u32>;

// log_softmax(x)[b, label] for a valid label.
fn log_prob(b: u32, label: u32) -> f32 {
  let base = b * C;
  var m = x[base];
  for (var c = 1u; c < C; c++) {
    m = max(m, x[base + c]);
  }
  var s = 0.0;
  for (var c = 0u; c < C; c++) {
    s += exp(x[base + c] - m);
  }
  return x[base + label] - m - log(s);
}
