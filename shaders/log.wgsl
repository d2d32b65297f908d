// log: natural logarithm; log(0) = -inf and log of a negative number = nan, as in PyTorch
// (WGSL leaves log undefined there). The bit patterns live in private variables because WGSL
// constant expressions must be finite.
var<private> NEG_INF_BITS: u32 = 0xff800000u;
var<private> NAN_BITS: u32 = 0x7fc00000u;
fn op(a: f32) -> f32 {
  if (a == 0.0) { return bitcast<f32>(NEG_INF_BITS); }
  if (a < 0.0) { return bitcast<f32>(NAN_BITS); }
  return log(a);
}
