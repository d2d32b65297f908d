// log_softmax_nll: nll_loss(log_softmax(x, 1), labels) for logits x [B, C], in one dispatch of one
// workgroup: -mean over b of log_softmax(x)[b, labels[b]]. Each invocation takes a strided share of
// the rows; for its row b, with m the row's maximum and s = sum exp(x - m) (every exponent <= 0, so
// nothing overflows and s >= 1), the log-probability of the label is x[b, label] - m - log(s), as in
// softmax.wgsl. A tree in workgroup memory then adds the shares, as in nll_loss.wgsl.
// A label outside [0, C) is never used as an index: its row is skipped and flagged, and a flagged
// result is written as a quiet-NaN bit pattern (the output is bound as u32: WGSL lets implementations
// assume float arithmetic never makes NaN, but a stored bit pattern is what it is).
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> labels: array<i32>;
@group(0) @binding(2) var<storage, read_write> loss: array<u32>;

override B: u32;
override C: u32;

const WG = 256u;
const NAN_BITS = 0x7fc00000u;
var<workgroup> sums: array<f32, WG>;
var<workgroup> invalid: array<u32, WG>;

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

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  var bad = 0u;
  for (var b = lid; b < B; b += WG) {
    let label = labels[b];
    if (label < 0 || u32(label) >= C) {
      bad = 1u;
    } else {
      acc += log_prob(b, u32(label));
    }
  }
  sums[lid] = acc;
  invalid[lid] = bad;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride = stride / 2u) {
    if (lid < stride) {
      sums[lid] += sums[lid + stride];
      invalid[lid] = max(invalid[lid], invalid[lid + stride]);
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    loss[0] = select(bitcast<u32>(-sums[0] / f32(B)), NAN_BITS, invalid[0] != 0u);
  }
}
