// max_pool2d forward: one invocation per output element [n, c, oh, ow] takes its window's maximum.
// Prepended with shaders/pool_window.wgsl (geometry, the input binding and window_max()).
@group(0) @binding(1) var<storage, read_write> y: array<f32>;

override TOTAL: u32;  // output elements: N * C * OH * OW

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let o = flat_index(gid, groups);
  if (o >= TOTAL) { return; }
  let nc = o / (OH * OW);
  let r = o % (OH * OW);
  let best = window_max(nc * H * W, r / OW, r % OW);
  // A window made only of padding (possible with dilation) is -inf, as the padding is; the bits are
  // read through a variable because an infinite constant expression is a WGSL error.
  var neg_inf_bits = 0xff800000u;
  y[o] = select(bitcast<f32>(neg_inf_bits), best.value, best.index >= 0);
}
