// GELU, x Φ(x). S = 1: PyTorch's approximate='tanh' form; S = 0: the exact form through erf, which
// WGSL lacks: Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7, under f32 rounding here).
fn op(a: f32) -> f32 {
  if (S == 1.0) {
    let u = 0.7978845608028654 * (a + 0.044715 * a * a * a);
    return 0.5 * a * (1.0 + tanh(clamp(u, -15.0, 15.0)));
  }
  let z = abs(a) * 0.7071067811865476;
  let t = 1.0 / (1.0 + 0.3275911 * z);
  let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  let erf_abs = 1.0 - poly * exp(-z * z);
  return 0.5 * a * (1.0 + select(-erf_abs, erf_abs, a >= 0.0));
}
