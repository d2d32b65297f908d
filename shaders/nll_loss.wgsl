// nll_loss: -mean over b of logp[b, labels[b]] for logp [B, C], as torch.nn.functional.nll_loss with
// mean reduction. Followed by shaders/nll_mean.wgsl (the overrides, the reduction and the entry point).
@group(0) @binding(0) var<storage, read> logp: array<f32>;
@group(0) @binding(1) var<storage, read> labels: array<i32>;
@group(0) @binding(2) var<storage, read_write> loss: array<u32>;

fn log_prob(b: u32, label: u32) -> f32 {
  return logp[b * C + label];
}
