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
  let stats = row_max_sum_exp(base);
  return x[base + label] - stats.x - log(stats.y);
}
