// The elements of one channel of an [N, C, S] tensor (S the flattened spatial size: H * W for
// BatchNorm2d, 1 for BatchNorm1d on [N, C]) and their mean and 1/std, for batch_norm's kernels
// (shaders/batch_norm.wgsl, batch_norm_grad.wgsl, batch_norm_stats.wgsl), which declare `x`, C, S,
// M (= N * S, the channel's element count) and EPS. Two passes (the mean, then the squared
// deviations), so the biased variance stays accurate when the mean is large. WIDE, `partial` and
// combine_partials() come from shaders/row_combine.wgsl; src/ops/batch-norm.ts appends both.

// Flat index of element k (0 <= k < M) of channel c.
fn at(c: u32, k: u32) -> u32 {
  return (k / S) * C * S + c * S + k % S;
}

// The sum of squared deviations comes back in .y (the kernels make the variance they need of it).
fn channel_moments(c: u32) -> vec2<f32> {
  var s = 0.0;
  for (var k = 0u; k < M; k++) { s += x[at(c, k)]; }
  let mean = s / f32(M);
  var q = 0.0;
  for (var k = 0u; k < M; k++) {
    let d = x[at(c, k)] - mean;
    q += d * d;
  }
  return vec2<f32>(mean, q);
}

// channel_moments() by a workgroup of WIDE invocations, called in uniform control flow. Results go
// into a var before use (see shaders/layer_norm_stats.wgsl on Dawn's OpenGL ES backend).
fn wide_channel_moments(c: u32, lid: u32) -> vec2<f32> {
  var s = 0.0;
  for (var k = lid; k < M; k += WIDE) { s += x[at(c, k)]; }
  partial[lid] = s;
  s = combine_partials(lid, false);
  let mean = s / f32(M);
  var q = 0.0;
  for (var k = lid; k < M; k += WIDE) {
    let d = x[at(c, k)] - mean;
    q += d * d;
  }
  partial[lid] = q;
  q = combine_partials(lid, false);
  return vec2<f32>(mean, q);
}

// Mean and 1/sqrt(biased variance + EPS): what training-mode normalization divides by.
fn normalizer(moments: vec2<f32>) -> vec2<f32> {
  return vec2<f32>(moments.x, inverseSqrt(moments.y / f32(M) + EPS));
}
