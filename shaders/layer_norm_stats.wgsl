// The mean and 1/std of one row of layer_norm's input, for its forward (shaders/layer_norm.wgsl) and
// backward (shaders/layer_norm_grad.wgsl), which both declare `x`, D and EPS: two passes over the
// row (the mean, then the squared deviations), so the variance (biased, over D, as PyTorch's) stays
// accurate when the mean is large. Appended by src/ops/layer-norm.ts with shaders/row_combine.wgsl.

// By one invocation.
fn row_stats(base: u32) -> vec2<f32> {
  var s = 0.0;
  for (var i = 0u; i < D; i++) { s += x[base + i]; }
  let mean = s / f32(D);
  var q = 0.0;
  for (var i = 0u; i < D; i++) {
    let d = x[base + i] - mean;
    q += d * d;
  }
  return vec2<f32>(mean, inverseSqrt(q / f32(D) + EPS));
}

// By a workgroup of WIDE invocations, each called in uniform control flow. Each combine_partials()
// result goes into a var before it is used: Dawn's OpenGL ES backend (llvmpipe) gave garbage for
// `let mean = combine_partials(lid, false) / f32(D);` (test/conformance.test.ts, layerNorm on llvmpipe).
fn wide_row_stats(base: u32, lid: u32) -> vec2<f32> {
  var s = 0.0;
  for (var i = lid; i < D; i += WIDE) { s += x[base + i]; }
  partial[lid] = s;
  s = combine_partials(lid, false);
  let mean = s / f32(D);
  var q = 0.0;
  for (var i = lid; i < D; i += WIDE) {
    let d = x[base + i] - mean;
    q += d * d;
  }
  partial[lid] = q;
  q = combine_partials(lid, false);
  return vec2<f32>(mean, inverseSqrt(q / f32(D) + EPS));
}
