// pow by a scalar exponent S. WGSL pow() is undefined for a negative base, so the sign is handled
// here: integral exponents give PyTorch's results for negative bases, others give nan (from a
// private variable, because WGSL constant expressions must be finite).
var<private> NAN_BITS: u32 = 0x7fc00000u;
fn op(a: f32) -> f32 {
  if (S == 2.0) { return a * a; }
  if (S == 1.0) { return a; }
  if (S == 0.0) { return 1.0; }
  let m = pow(abs(a), S);
  if (a >= 0.0) { return m; }
  if (fract(S) != 0.0) { return bitcast<f32>(NAN_BITS); }
  let odd = fract(S * 0.5) != 0.0;
  return select(m, -m, odd);
}
