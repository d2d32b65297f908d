// The input gradient of conv2d as an implicit GEMM:
//   dx[ci, (n, ih, iw)] = sum over (kh, kw, co) of weight[co, ci, kh, kw] * dy[n, co, oh, ow]
// where oh = (ih + PH - kh*DH) / SH and ow likewise, for the taps where that division is exact and
// lands inside dy. Each invocation computes 16 input channels x 8 input pixels (src/ops/gemm/register-tile.ts);
// for each tap (kh, kw) it works out which of its pixels receive from dy and where, once, then loops
// over the output channels with one add per load. Gathering (rather than scattering dy into dx)
// needs no atomics and gives every element one writer.
//
// The weight comes channel-last, [C, KH, KW, CO] (the op's lowering permutes it; 18,432 floats at
// MNIST's conv2): row ci of the GEMM's left operand is then contiguous in the loop's own order, tap
// by tap, so the quads form (`a` bound as vec4s) reads 4 output channels per vec4 load
// (llvmpipe: 78 -> 68 ms at MNIST's conv2; the layout is neutral on SwiftShader).


@group(0) @binding(0) var<storage, read> dy: array<f32>;
// The weight as [C, KH, KW, CO]: row ci of the GEMM's left operand starts at ci*KH*KW*CO.
@group(0) @binding(1) var<storage, read> a: array<AElement>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

struct Taps {
  // Offset in dy of (n, 0, oh, ow) for each pixel (0 where the tap misses dy), and 1 where the tap
  // reaches dy, 0 where it misses.
  offset: vec4<i32>,
  scale: vec4<f32>,
}

fn taps(n: vec4<u32>, ih: vec4<i32>, iw: vec4<i32>, kh: u32, kw: u32) -> Taps {
  let th = ih + vec4<i32>(i32(PH) - i32(kh * DH));
  let tw = iw + vec4<i32>(i32(PW) - i32(kw * DW));
  let sh = vec4<i32>(i32(SH));
  let sw = vec4<i32>(i32(SW));
  let oh = th / sh;
  let ow = tw / sw;
  let inside = (th >= vec4<i32>(0)) & (tw >= vec4<i32>(0)) & (th % sh == vec4<i32>(0)) & (tw % sw == vec4<i32>(0))
    & (oh < vec4<i32>(i32(OH))) & (ow < vec4<i32>(i32(OW)));
  var t: Taps;
  t.offset = select(vec4<i32>(0), vec4<i32>(n * (CO * OH * OW)) + oh * i32(OW) + ow, inside);
  t.scale = select(vec4<f32>(0.0), vec4<f32>(1.0), inside);
  return t;
}

// The 4 pixels' dy values at offset `off` from their taps, zero where a tap misses dy. Zeroed by a
// multiply rather than a select: on SwiftShader the select, once per gather, cost 11% of the kernel
// (MNIST's conv2 411 -> 366 ms). A missed tap reads dy[off] instead, so an infinite or NaN value
// there also reaches the pixels whose taps miss it; such a gradient is not finite anyway.
fn gather(t: Taps, off: i32) -> vec4<f32> {
  let o = t.offset + vec4<i32>(off);
  return vec4<f32>(dy[o.x], dy[o.y], dy[o.z], dy[o.w]) * t.scale;
}

// gather() of 4 output channels from offset d on, `stride` apart, as accumulateQuads() takes them.
fn fourChannels(ta: Taps, tb: Taps, d: i32, stride: i32) -> array<vec4<f32>, 8> {
  return array<vec4<f32>, 8>(gather(ta, d), gather(tb, d), gather(ta, d + stride), gather(tb, d + stride),
    gather(ta, d + 2 * stride), gather(tb, d + 2 * stride), gather(ta, d + 3 * stride), gather(tb, d + 3 * stride));
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let idx = flatIndex(gid, groups);
  let pixels = B * H * W;
  let colTiles = (pixels + TILE_N - 1u) / TILE_N;
  let tiles = colTiles * ((C + TILE_M - 1u) / TILE_M);
  // No early return past the last tile: every invocation runs (those past the end on the last tile,
  // storing nothing), so a subgroup shares its loads with all lanes present (the subgroup form).
  let live = idx < tiles;
  let tile = min(idx, tiles - 1u);
  let row0 = (tile / colTiles) * TILE_M;
  let p0 = (tile % colTiles) * TILE_N;
  let kk = KH * KW;
  let ra = tileRows(row0, C, kk * CO, tile / colTiles, idx % 4u);

  let lanes = vec4<u32>(0u, 1u, 2u, 3u);
  let pa = min(vec4<u32>(p0) + lanes, vec4<u32>(pixels - 1u));
  let pb = min(vec4<u32>(p0 + 4u) + lanes, vec4<u32>(pixels - 1u));
  let hw = H * W;
  let na = pa / hw;
  let nb = pb / hw;
  let qa = pa % hw;
  let qb = pb % hw;
  let iha = vec4<i32>(qa / W);
  let ihb = vec4<i32>(qb / W);
  let iwa = vec4<i32>(qa % W);
  let iwb = vec4<i32>(qb % W);

  let ohw = i32(OH * OW);
  var acc: Acc;
  for (var kh = 0u; kh < KH; kh++) {
    for (var kw = 0u; kw < KW; kw++) {
      let ta = taps(na, iha, iwa, kh, kw);
      let tb = taps(nb, ihb, iwb, kh, kw);
      // The weight of (ci, kh, kw, co) is at ra[ci] + (kh*KW + kw)*CO + co.
      var o = (kh * KW + kw) * CO;
      if (K_BLOCK == 4u && sharesRows(ra)) {
        // `a` bound as vec4s (a vec4 form of src/ops/gemm/register-tile.ts), offered only when CO % 4 == 0.
        for (var co = 0; co < i32(CO); co += 4) {
          accumulateQuadsShared(&acc, ra, o, fourChannels(ta, tb, co * ohw, ohw));
          o += 4u;
        }
      } else if (K_BLOCK == 4u) {
        for (var co = 0; co < i32(CO); co += 4) {
          accumulateQuads(&acc, ra, o, fourChannels(ta, tb, co * ohw, ohw));
          o += 4u;
        }
      } else if (sharesRows(ra)) {
        for (var co = 0; co < i32(CO); co++) {
          accumulateShared(&acc, ra, o, gather(ta, co * ohw), gather(tb, co * ohw));
          o++;
        }
      } else {
        for (var co = 0; co < i32(CO); co++) {
          accumulateOwn(&acc, ra, o, gather(ta, co * ohw), gather(tb, co * ohw));
          o++;
        }
      }
    }
  }

  // dx[n, ci, ih, iw] = out[ci * H*W + (n * C * H*W + ih*W + iw)].
  var cols: TileColumns;
  cols.col0 = na * (C * hw) + qa;
  cols.col1 = nb * (C * hw) + qb;
  cols.count = min(TILE_N, pixels - p0);
  if (live) { storeTile(&acc, row0, C, hw, cols); }
}
