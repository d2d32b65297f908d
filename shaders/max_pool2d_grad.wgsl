// max_pool2d backward as a gather: one invocation per INPUT element [n, c, ih, iw] visits the few
// windows that contain it, recomputes each one's argmax with the forward's window_max() and adds that
// window's dy when the argmax is this element. Every dx element is written by one invocation only, so
// overlapping windows need no atomics and the sum has a fixed order.
// Prepended with shaders/pool_window.wgsl (geometry, the input binding x and window_max()).
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;

override TOTAL: u32;  // input elements: N * C * H * W

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
  dx[e] = acc;
}
