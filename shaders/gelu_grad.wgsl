// GELU backward from its input x: dy * d/dx [x Φ(x)], in the form S selects (see gelu.wgsl).
fn op(a: f32, dy: f32) -> f32 {
  if (S == 1.0) {
    let c = 0.7978845608028654;
    let th = tanh(clamp(c * (a + 0.044715 * a * a * a), -15.0, 15.0));
    return dy * (0.5 * (1.0 + th) + 0.5 * a * (1.0 - th * th) * c * (1.0 + 3.0 * 0.044715 * a * a));
  }
  let z = abs(a) * 0.7071067811865476;
  let t = 1.0 / (1.0 + 0.3275911 * z);
  let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  let erf_abs = 1.0 - poly * exp(-z * z);
  let cdf = 0.5 * (1.0 + select(-erf_abs, erf_abs, a >= 0.0));
  let pdf = 0.3989422804014327 * exp(-0.5 * a * a);
  return dy * (cdf + a * pdf);
}
