// max_pool2d backward as a gather: one invocation per INPUT element [n, c, ih, iw] visits the few
// windows that contain it, recomputes each one's argmax with the forward's window_max() and adds that
// window's dy when the argmax is this element. Every dx element is written by one invocation only, so
// overlapping windows need no atomics and the sum has a fixed order.
// When the windows tile the input exactly (stride = kernel, no padding or dilation, and the size a
// multiple of the kernel: MNIST's 2x2 pool), entry point `tiled` instead runs one invocation per
// window, finds its argmax once and writes all of its taps; the gather would find each window's
// argmax once per tap.
// RELU_MASK (set by the fusion pass for relu_grad(x, max_pool2d_grad(x, dy)), x a relu output) zeroes
// dx where x <= 0, as relu_grad would: the kernel reads x anyway, so the mask costs no extra pass.
// Prepended with shaders/pool_window.wgsl (geometry, the input binding x and window_max()).
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;

override TOTAL: u32;  // input elements: N * C * H * W
override RELU_MASK: bool = false;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let e = flat_index(gid, groups);
  if (e >= TOTAL) { return; }
  let nc = e / (H * W);
  let at = i32(e % (H * W));
  let ih = at / i32(W);
  let iw = at % i32(W);
  var acc = 0.0;
  // Window oh contains row ih at tap i iff oh * SH - PH + i * DH == ih; i determines oh, so each
  // window is met once.
  for (var i = 0u; i < KH; i++) {
    let th = ih + i32(PH) - i32(i * DH);
    if (th < 0 || th % i32(SH) != 0 || th / i32(SH) >= i32(OH)) { continue; }
    let oh = u32(th) / SH;
    for (var j = 0u; j < KW; j++) {
      let tw = iw + i32(PW) - i32(j * DW);
      if (tw < 0 || tw % i32(SW) != 0 || tw / i32(SW) >= i32(OW)) { continue; }
      let ow = u32(tw) / SW;
      if (window_max(nc * H * W, oh, ow).index == at) {
        acc += dy[(nc * OH + oh) * OW + ow];
      }
    }
  }
  dx[e] = select(0.0, acc, !RELU_MASK || x[e] > 0.0);
}

// One invocation per window [n, c, oh, ow]; TOTAL counts windows here. Each input element lies in
// exactly one window, so every dx element is written once.
@compute @workgroup_size(64)
fn tiled(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let o = flat_index(gid, groups);
  if (o >= TOTAL) { return; }
  let nc = o / (OH * OW);
  let oh = (o / OW) % OH;
  let ow = o % OW;
  let plane = nc * H * W;
  let found = window_max(plane, oh, ow);
  let best = found.index;
  let g = select(0.0, dy[o], !RELU_MASK || found.value > 0.0);
  if (KH == 2u && KW == 2u) {
    let top = oh * 2u * W + ow * 2u;
    dx[plane + top] = select(0.0, g, i32(top) == best);
    dx[plane + top + 1u] = select(0.0, g, i32(top + 1u) == best);
    dx[plane + top + W] = select(0.0, g, i32(top + W) == best);
    dx[plane + top + W + 1u] = select(0.0, g, i32(top + W + 1u) == best);
    return;
  }
  for (var i = 0u; i < KH; i++) {
    let row = (oh * KH + i) * W + ow * KW;
    for (var j = 0u; j < KW; j++) {
      dx[plane + row + j] = select(0.0, g, i32(row + j) == best);
    }
  }
}
