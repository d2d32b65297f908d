// The mean negative log-likelihood -mean over b of log_prob(b, labels[b]), in one dispatch of one
// workgroup: each invocation sums a strided share of the rows, then a tree in workgroup memory adds the
// shares. Shared by nll_loss (which reads log-probabilities) and the fused log_softmax_nll (which
// computes them from logits): each is its own bindings and `fn log_prob(b: u32, label: u32) -> f32`,
// then this snippet.
// A label outside [0, C) is never used as an index: its row is skipped and flagged, and a flagged
// result is written as a quiet-NaN bit pattern. The output `loss` is bound as u32 for that reason: WGSL
// lets implementations assume float arithmetic never produces NaN, but a stored bit pattern is what it
// is. The data loaders validate labels on the CPU; this is only a guard against reading out of bounds.

override B: u32;
override C: u32;

const WG = 256u;
const NAN_BITS = 0x7fc00000u;
var<workgroup> sums: array<f32, WG>;
var<workgroup> invalid: array<u32, WG>;

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
