// Reading the input x in the conv kernels that do (forward and weight gradient): four values at a
// time, with the padding checks. Taps in the padding read as zero; without padding every tap is
// inside the image (the output size guarantees it) and the checks compile away.
// Needs the kernel's `x` binding and PADDED override.

// Four taps: their offsets in x, and whether each lands inside the image (an offset outside is
// clamped to 0, a safe place to load from).
struct InputTaps {
  offset: vec4<i32>,
  inside: vec4<bool>,
}

// The taps at offsets o, rows h and columns w of the image.
fn tapsAt(o: vec4<i32>, h: vec4<i32>, w: vec4<i32>) -> InputTaps {
  var t = InputTaps(o, vec4<bool>(true));
  if (PADDED) {
    t.inside = (h >= vec4<i32>(0)) & (h < vec4<i32>(i32(H))) & (w >= vec4<i32>(0)) & (w < vec4<i32>(i32(W)));
    t.offset = select(vec4<i32>(0), o, t.inside);
  }
  return t;
}

// Tap (kh, kw) of four output pixels whose windows start at x offset `base`, row `ih` and column
// `iw` (already shifted by the padding), in input channel 0.
fn inputTaps(base: vec4<i32>, ih: vec4<i32>, iw: vec4<i32>, kh: u32, kw: u32) -> InputTaps {
  let dh = i32(kh * DH);
  let dw = i32(kw * DW);
  return tapsAt(base + vec4<i32>(dh * i32(W) + dw), ih + vec4<i32>(dh), iw + vec4<i32>(dw));
}

// The four values under taps `t` in the input channel that starts `channel` floats further on.
fn gatherTaps(t: InputTaps, channel: i32) -> vec4<f32> {
  let o = t.offset + vec4<i32>(channel);
  let v = vec4<f32>(x[o.x], x[o.y], x[o.z], x[o.w]);
  if (!PADDED) { return v; }
  return select(vec4<f32>(0.0), v, t.inside);
}

// The four values x[o], where (ih, iw) is each one's row and column.
fn gatherInput(o: vec4<i32>, ih: vec4<i32>, iw: vec4<i32>) -> vec4<f32> {
  return gatherTaps(tapsAt(o, ih, iw), 0);
}
