// 2-D average pooling of NCHW f32 tensors and its gradient, over fixed windows (kernel, stride,
// padding, as F.avg_pool2d without ceil_mode) or adaptive ones (F.adaptive_avg_pool2d: window oh
// spans rows floor(oh H / OH) .. ceil((oh + 1) H / OH)). Both passes take a window's rows, columns
// and divisor from the same functions, so the gradient spreads dy exactly as the forward averaged.
// The gradient is a gather (one invocation per input element sums the windows holding it): no atomics.

override H: u32;
override W: u32;
override OH: u32;
override OW: u32;
override KH: u32 = 1u;
override KW: u32 = 1u;
override SH: u32 = 1u;
override SW: u32 = 1u;
override PH: u32 = 0u;
override PW: u32 = 0u;
override ADAPTIVE: bool = false;
// Padding counts in the divisor (PyTorch's count_include_pad, on by default).
override INCLUDE_PAD: bool = true;
override TOTAL: u32;  // invocations: output elements forward, input elements backward

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;

// [start, end) of window o along an axis of `size` elements pooled to `out` windows, clamped to the
// image, and the window's extent before clamping (what count_include_pad divides by).
struct Span { start: i32, end: i32, padded: i32 }

fn span(o: u32, size: u32, out: u32, k: u32, s: u32, p: u32) -> Span {
  if (ADAPTIVE) {
    let start = i32((o * size) / out);
    let end = i32(((o + 1u) * size + out - 1u) / out);
    return Span(start, end, end - start);
  }
  let start = i32(o * s) - i32(p);
  let end = start + i32(k);
  return Span(max(start, 0), min(end, i32(size)), end - start);
}

fn rows(oh: u32) -> Span { return span(oh, H, OH, KH, SH, PH); }
fn cols(ow: u32) -> Span { return span(ow, W, OW, KW, SW, PW); }

fn divisor(r: Span, c: Span) -> f32 {
  if (INCLUDE_PAD) { return f32(r.padded * c.padded); }
  return f32((r.end - r.start) * (c.end - c.start));
}

fn flat_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * 64u;
}

// src is x [N,C,H,W], dst y [N,C,OH,OW].
@compute @workgroup_size(64)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let o = flat_index(gid, groups);
  if (o >= TOTAL) { return; }
  let plane = (o / (OH * OW)) * H * W;
  let r = rows((o % (OH * OW)) / OW);
  let c = cols(o % OW);
  var total = 0.0;
  for (var ih = r.start; ih < r.end; ih++) {
    for (var iw = c.start; iw < c.end; iw++) { total += src[plane + u32(ih) * W + u32(iw)]; }
  }
  dst[o] = total / divisor(r, c);
}

// The first and last window along an axis that can hold element i (then checked against span()).
fn candidates(i: u32, size: u32, out: u32, k: u32, s: u32, p: u32) -> vec2<i32> {
  if (ADAPTIVE) { return vec2<i32>(i32((i * out) / size), i32(((i + 1u) * out + size - 1u) / size) - 1); }
  let reach = i32(i + p) - i32(k);
  let first = select(0, reach / i32(s) + 1, reach >= 0);
  return vec2<i32>(first, min(i32(out) - 1, i32((i + p) / s)));
}

// src is dy [N,C,OH,OW], dst dx [N,C,H,W].
@compute @workgroup_size(64)
fn backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= TOTAL) { return; }
  let plane = (i / (H * W)) * OH * OW;
  let ih = i32((i % (H * W)) / W);
  let iw = i32(i % W);
  let oh_range = candidates(u32(ih), H, OH, KH, SH, PH);
  let ow_range = candidates(u32(iw), W, OW, KW, SW, PW);
  var total = 0.0;
  for (var oh = oh_range.x; oh <= oh_range.y; oh++) {
    let r = rows(u32(oh));
    if (ih < r.start || ih >= r.end) { continue; }
    for (var ow = ow_range.x; ow <= ow_range.y; ow++) {
      let c = cols(u32(ow));
      if (iw < c.start || iw >= c.end) { continue; }
      total += src[plane + u32(oh) * OW + u32(ow)] / divisor(r, c);
    }
  }
  dst[i] = total;
}
