// The window geometry of 2-D max pooling over NCHW tensors, shared by the forward kernel
// (shaders/max_pool2d.wgsl) and the gather-style backward (shaders/max_pool2d_grad.wgsl), which are
// this snippet followed by their own entry point. Both passes find a window's maximum with the same
// function, so the backward routes dy to exactly the element the forward picked.
// Padding is implicit -inf (as PyTorch): taps outside the image are skipped.

override H: u32;
override W: u32;
override OH: u32;
override OW: u32;
override KH: u32;
override KW: u32;
override SH: u32;
override SW: u32;
override PH: u32;
override PW: u32;
override DH: u32;
override DW: u32;
// The windows tile the input exactly (stride = kernel, no padding or dilation, no remainder: MNIST's
// 2x2 pool): no tap can fall outside, and window_max() drops its bounds checks.
override TILED: bool = false;

@group(0) @binding(0) var<storage, read> x: array<f32>;

struct WindowMax {
  value: f32,
  index: i32,  // flat index into the plane (ih * W + iw), or -1 when every tap is padding
}

// Maximum of window (oh, ow) of the plane starting at x[plane]: the first maximum in row-major tap
// order, as PyTorch picks it (a later tap must be strictly greater to replace it).
fn window_max(plane: u32, oh: u32, ow: u32) -> WindowMax {
  if (TILED) { return window_max_tiled(plane, oh, ow); }
  var best = WindowMax(0.0, -1);
  let h0 = i32(oh * SH) - i32(PH);
  let w0 = i32(ow * SW) - i32(PW);
  for (var i = 0u; i < KH; i++) {
    let ih = h0 + i32(i * DH);
    if (ih < 0 || ih >= i32(H)) { continue; }
    for (var j = 0u; j < KW; j++) {
      let iw = w0 + i32(j * DW);
      if (iw < 0 || iw >= i32(W)) { continue; }
      let at = ih * i32(W) + iw;
      let v = x[plane + u32(at)];
      if (best.index < 0 || v > best.value) { best = WindowMax(v, at); }
    }
  }
  return best;
}

// window_max() of a window known to lie inside the image, with the same tap order and tie rule.
// The 2x2 window (the common pool) is written out straight: software adapters do not unroll loops.
fn window_max_tiled(plane: u32, oh: u32, ow: u32) -> WindowMax {
  let origin = oh * KH * W + ow * KW;
  var best = WindowMax(x[plane + origin], i32(origin));
  if (KH == 2u && KW == 2u) {
    let v1 = x[plane + origin + 1u];
    if (v1 > best.value) { best = WindowMax(v1, i32(origin + 1u)); }
    let v2 = x[plane + origin + W];
    if (v2 > best.value) { best = WindowMax(v2, i32(origin + W)); }
    let v3 = x[plane + origin + W + 1u];
    if (v3 > best.value) { best = WindowMax(v3, i32(origin + W + 1u)); }
    return best;
  }
  for (var i = 0u; i < KH; i++) {
    for (var j = 0u; j < KW; j++) {
      let at = origin + i * W + j;
      let v = x[plane + at];
      if (v > best.value) { best = WindowMax(v, i32(at)); }
    }
  }
  return best;
}

fn flat_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * 64u;
}
