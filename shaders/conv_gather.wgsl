// Four input values x[o] for the conv kernels that read the input (forward and weight gradient),
// where (ih, iw) is each one's row and column: taps in the padding read as zero. Without padding
// every tap is inside the image (the output size guarantees it) and the checks compile away.
// Needs the kernel's `x` binding and PADDED override.
fn gatherInput(o: vec4<i32>, ih: vec4<i32>, iw: vec4<i32>) -> vec4<f32> {
  if (!PADDED) {
    return vec4<f32>(x[o.x], x[o.y], x[o.z], x[o.w]);
  }
  let inside = (ih >= vec4<i32>(0)) & (ih < vec4<i32>(i32(H))) & (iw >= vec4<i32>(0)) & (iw < vec4<i32>(i32(W)));
  let safe = select(vec4<i32>(0), o, inside);
  return select(vec4<f32>(0.0), vec4<f32>(x[safe.x], x[safe.y], x[safe.z], x[safe.w]), inside);
}

// One tap (kh, kw) of four output pixels whose windows start at x offset `base`, row `ih`, column
// `iw` (already shifted by the padding): the offset of input channel 0 under the tap, and whether
// the tap lands inside the image. Taps in the padding read as zero; their offset is clamped to 0.
struct InputTaps {
  offset: vec4<i32>,
  inside: vec4<bool>,
}

fn inputTaps(base: vec4<i32>, ih: vec4<i32>, iw: vec4<i32>, kh: u32, kw: u32) -> InputTaps {
  let dh = i32(kh * DH);
  let dw = i32(kw * DW);
  var t: InputTaps;
  t.offset = base + vec4<i32>(dh * i32(W) + dw);
  t.inside = vec4<bool>(true);
  if (PADDED) {
    let h = ih + vec4<i32>(dh);
    let w = iw + vec4<i32>(dw);
    t.inside = (h >= vec4<i32>(0)) & (h < vec4<i32>(i32(H))) & (w >= vec4<i32>(0)) & (w < vec4<i32>(i32(W)));
    t.offset = select(vec4<i32>(0), t.offset, t.inside);
  }
  return t;
}

// The four values under taps `t` in the input channel that starts `channel` floats further on.
fn gatherTaps(t: InputTaps, channel: i32) -> vec4<f32> {
  let o = t.offset + vec4<i32>(channel);
  let v = vec4<f32>(x[o.x], x[o.y], x[o.z], x[o.w]);
  if (!PADDED) { return v; }
  return select(vec4<f32>(0.0), v, t.inside);
}
