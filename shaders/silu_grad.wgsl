// SiLU backward from its input x: dy * σ(x) (1 + x (1 - σ(x))).
fn op(a: f32, dy: f32) -> f32 {
  let e = exp(-abs(a));
  let s = select(e / (1.0 + e), 1.0 / (1.0 + e), a >= 0.0);
  return dy * s * (1.0 + a * (1.0 - s));
}
