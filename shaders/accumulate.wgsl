// accumulate: a running sum plus scale * value, kept on the GPU so that a training loop reads its
// totals once per report instead of once per step.
fn accumulate(acc: f32, value: f32, scale: f32) -> f32 {
  return acc + scale * value;
}
