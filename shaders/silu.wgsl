// SiLU (swish), x σ(x); σ from exp(-|x|) so that large |x| neither overflows nor loses the sign.
fn op(a: f32) -> f32 {
  let e = exp(-abs(a));
  let s = select(e / (1.0 + e), 1.0 / (1.0 + e), a >= 0.0);
  return a * s;
}
