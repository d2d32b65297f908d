// The learning rate at iteration t (0-based) of a schedule, as nanoGPT's get_lr() and torch's
// schedulers compute it: linear warmup over WARMUP iterations from base/(warmup+1), then 'cosine'
// (KIND 1) down to min_lr at iteration DECAY and flat after, 'step' (KIND 2) base * gamma^(floor(t /
// every)), or 'constant' (KIND 0). Written into the optimizer's hyperparameters each step.
fn lr_schedule(t: f32, kind: i32, base: f32, min_lr: f32, warmup: f32, decay: f32, gamma: f32, every: f32) -> f32 {
  if (t < warmup) { return base * (t + 1.0) / (warmup + 1.0); }
  if (kind == 1) {
    if (t > decay) { return min_lr; }
    let ratio = (t - warmup) / max(decay - warmup, 1.0);
    return min_lr + 0.5 * (1.0 + cos(3.141592653589793 * ratio)) * (base - min_lr);
  }
  if (kind == 2) { return base * pow(gamma, floor(t / every)); }
  return base;
}
