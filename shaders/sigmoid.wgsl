// sigmoid: 1 / (1 + e^-a), written to stay finite for large |a|.
fn op(a: f32) -> f32 {
  if (a >= 0.0) { return 1.0 / (1.0 + exp(-a)); }
  let e = exp(a);
  return e / (1.0 + e);
}
