// conv2d forward as an implicit GEMM: out[CO, pixels] = weight[CO, C*KH*KW] x im2col(x)[C*KH*KW, pixels]
// plus bias (then max(., 0) when RELU is set), where pixels runs over (n, oh, ow) and im2col is never
// built: each invocation gathers the 8 input values of its 8 output pixels for each k = (ci, kh, kw)
// straight from x (NCHW).
// The register tile (16 output channels x 8 pixels), its rows and its stores are generated
// (src/ops/gemm/register-tile.ts), the geometry overrides come from shaders/conv_geometry.wgsl,
// inputTaps() and gatherTaps() from shaders/conv_gather.wgsl.
//
// An output pixel's input window starts at x[n, 0, oh*SH - PH, ow*SW - PW]; tap (kh, kw) adds
// kh*DH*W + kw*DW to that offset and input channel ci adds ci*H*W, the same for all 8 pixels. The
// taps are the outer loops and the input channels the inner one, so a tap's offsets and padding
// checks are worked out once and the inner loop is one add per operand, like matmul's k loop: on
// SwiftShader that ran the MNIST net's conv2 twice as fast as walking k in the weight's storage
// order with the checks inside (1.8 -> 3.5 GFLOP/s). With fewer than CHANNELS_INNER_FROM input
// channels (an image's 1 or 3) that inner loop is too short to pay for itself, and k is walked in
// storage order instead (MNIST's conv1: 39 ms as taps-outer, 26 ms so).
// Without padding every tap is inside the image (the output size guarantees it) and the PADDED
// checks compile away.

const CHANNELS_INNER_FROM = 4u;

override PADDED: bool = false;
override HAS_BIAS: bool = false;
// A relu epilogue (set by the fusion pass for relu(conv2d)): max(., 0) after the bias, before the store.
override RELU: bool = false;

@group(0) @binding(0) var<storage, read> x: array<f32>;
// The weight [CO, C, KH, KW]: rows of the GEMM's left operand.
@group(0) @binding(1) var<storage, read> a: array<AElement>;
// [CO]; without a bias the weight is bound here again and never read.
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

// The 8 pixels' input values under k = (ci, kh, kw), the weight's storage order.
fn pixelColumn(k: u32, basea: vec4<i32>, baseb: vec4<i32>, iha: vec4<i32>, ihb: vec4<i32>, iwa: vec4<i32>, iwb: vec4<i32>) -> array<vec4<f32>, 2> {
  let kk = KH * KW;
  let kh = (k % kk) / KW;
  let kw = k % KW;
  let channel = i32((k / kk) * H * W);
  return array<vec4<f32>, 2>(gatherTaps(inputTaps(basea, iha, iwa, kh, kw), channel), gatherTaps(inputTaps(baseb, ihb, iwb, kh, kw), channel));
}

// pixelColumn() of k..k+3, as accumulateQuads() takes them.
fn pixelColumns(k: u32, basea: vec4<i32>, baseb: vec4<i32>, iha: vec4<i32>, ihb: vec4<i32>, iwa: vec4<i32>, iwb: vec4<i32>) -> array<vec4<f32>, 8> {
  let y0 = pixelColumn(k, basea, baseb, iha, ihb, iwa, iwb);
  let y1 = pixelColumn(k + 1u, basea, baseb, iha, ihb, iwa, iwb);
  let y2 = pixelColumn(k + 2u, basea, baseb, iha, ihb, iwa, iwb);
  let y3 = pixelColumn(k + 3u, basea, baseb, iha, ihb, iwa, iwb);
  return array<vec4<f32>, 8>(y0[0], y0[1], y1[0], y1[1], y2[0], y2[1], y3[0], y3[1]);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let idx = flatIndex(gid, groups);
  let pixels = B * OH * OW;
  let colTiles = (pixels + TILE_N - 1u) / TILE_N;
  let tiles = colTiles * ((CO + TILE_M - 1u) / TILE_M);
  // No early return past the last tile: every invocation runs (those past the end on the last tile,
  // storing nothing), so a subgroup shares its loads with all lanes present (the subgroup form).
  let live = idx < tiles;
  let tile = min(idx, tiles - 1u);
  // Neighbouring invocations take neighbouring pixels of the same output channels.
  let row0 = (tile / colTiles) * TILE_M;
  let p0 = (tile % colTiles) * TILE_N;
  let ra = tileRows(row0, CO, C * KH * KW, tile / colTiles, idx % 4u);

  // The tile's 8 pixels (clamped to the last; the duplicates are not stored).
  let lanes = vec4<u32>(0u, 1u, 2u, 3u);
  let pa = min(vec4<u32>(p0) + lanes, vec4<u32>(pixels - 1u));
  let pb = min(vec4<u32>(p0 + 4u) + lanes, vec4<u32>(pixels - 1u));
  let ohw = OH * OW;
  let na = pa / ohw;
  let nb = pb / ohw;
  let qa = pa % ohw;
  let qb = pb % ohw;
  let iha = vec4<i32>((qa / OW) * SH) - vec4<i32>(i32(PH));
  let ihb = vec4<i32>((qb / OW) * SH) - vec4<i32>(i32(PH));
  let iwa = vec4<i32>((qa % OW) * SW) - vec4<i32>(i32(PW));
  let iwb = vec4<i32>((qb % OW) * SW) - vec4<i32>(i32(PW));
  let basea = vec4<i32>(na * (C * H * W)) + iha * i32(W) + iwa;
  let baseb = vec4<i32>(nb * (C * H * W)) + ihb * i32(W) + iwb;

  var acc: Acc;
  let hw = i32(H * W);
  if (K_BLOCK == 4u && sharesRows(ra)) {
    // `a` bound as vec4s (a vec4 form of src/ops/gemm/register-tile.ts), offered only when C*KH*KW % 4 == 0: k walks
    // the weight's storage order four at a time, one vec4 per row, each k's taps worked out anew.
    for (var k = 0u; k < C * KH * KW; k += 4u) {
      accumulateQuadsShared(&acc, ra, k, pixelColumns(k, basea, baseb, iha, ihb, iwa, iwb));
    }
  } else if (K_BLOCK == 4u) {
    for (var k = 0u; k < C * KH * KW; k += 4u) {
      accumulateQuads(&acc, ra, k, pixelColumns(k, basea, baseb, iha, ihb, iwa, iwb));
    }
  } else if (C < CHANNELS_INNER_FROM) {
    // Too few k for shared loads to pay for the check that picks them: k by k in storage order.
    for (var k = 0u; k < C * KH * KW; k++) {
      let y = pixelColumn(k, basea, baseb, iha, ihb, iwa, iwb);
      accumulateOwn(&acc, ra, k, y[0], y[1]);
    }
  } else {
    for (var kh = 0u; kh < KH; kh++) {
      for (var kw = 0u; kw < KW; kw++) {
        let ta = inputTaps(basea, iha, iwa, kh, kw);
        let tb = inputTaps(baseb, ihb, iwb, kh, kw);
        // weight[co, ci, kh, kw] is at ra[co] + ci*KH*KW + kh*KW + kw.
        var o = kh * KW + kw;
        var off = 0;
        if (sharesRows(ra)) {
          for (var ci = 0u; ci < C; ci++) {
            accumulateShared(&acc, ra, o, gatherTaps(ta, off), gatherTaps(tb, off));
            o += KH * KW;
            off += hw;
          }
        } else {
          for (var ci = 0u; ci < C; ci++) {
            accumulateOwn(&acc, ra, o, gatherTaps(ta, off), gatherTaps(tb, off));
            o += KH * KW;
            off += hw;
          }
        }
      }
    }
  }

  if (HAS_BIAS) {
    var v: array<f32, 16>;
    for (var r = 0u; r < TILE_M; r++) { v[r] = bias[min(row0 + r, CO - 1u)]; }
    addRowValues(&acc, v);
  }
  if (RELU) { reluTile(&acc); }
  // out[n, co, oh, ow] = out[co * OH*OW + (n * CO * OH*OW + oh*OW + ow)].
  var cols: TileColumns;
  cols.col0 = na * (CO * ohw) + qa;
  cols.col1 = nb * (CO * ohw) + qb;
  cols.count = min(TILE_N, pixels - p0);
  if (live) { storeTile(&acc, row0, CO, ohw, cols); }
}
