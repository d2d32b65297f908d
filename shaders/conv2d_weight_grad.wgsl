// The weight gradient of conv2d as an implicit GEMM with split-K:
//   dw[co, (ci, kh, kw)] = sum over (n, oh, ow) of dy[n, co, oh, ow] * x[n, ci, oh*SH - PH + kh*DH, ow*SW - PW + kw*DW]
// The sum runs over every output pixel of the batch, far longer than the output is wide (a 3x3
// filter bank has only CO*C*9 weights), so it is split into SPLITS ranges, each summed by its own
// invocations into partials[split, co, ci, kh, kw]; the op's lowering adds the partials up after.
// Never one thread per weight: each invocation computes 16 output channels x 8 taps
// (shaders/gemm_tile.wgsl) over its range.
//
// SPLITS is the number of partial slabs (the output's leading dimension, fixed when the graph is
// built); RANGES <= SPLITS is how many ranges the sum is really cut into, a knob for compile-time
// tuning that leaves the output's shape alone: slabs from RANGES on get an empty range, so they hold
// zeros and the sum over the slabs is unchanged. The lowering's default is RANGES = SPLITS.

override PADDED: bool = false;
override SPLITS: u32 = 1u;
override RANGES: u32 = 1u;

@group(0) @binding(0) var<storage, read> x: array<f32>;
// dy [B, CO, OH, OW]: row co of the GEMM's left operand starts at co*OH*OW within each image.
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let idx = flatIndex(gid, groups);
  let taps = C * KH * KW;
  let colTiles = (taps + TILE_N - 1u) / TILE_N;
  let tiles = colTiles * ((CO + TILE_M - 1u) / TILE_M);
  if (idx >= tiles * SPLITS) { return; }
  let split = idx / tiles;
  let tile = idx % tiles;
  let row0 = (tile / colTiles) * TILE_M;
  let q0 = (tile % colTiles) * TILE_N;
  let ohw = OH * OW;
  let ra = tileRows(row0, CO, ohw);

  // The tile's 8 taps (ci, kh, kw), clamped to the last: their offsets in x relative to the window
  // origin (n, 0, oh*SH, ow*SW), and their row and column shifts for the padding checks.
  let lanes = vec4<u32>(0u, 1u, 2u, 3u);
  let qa = min(vec4<u32>(q0) + lanes, vec4<u32>(taps - 1u));
  let qb = min(vec4<u32>(q0 + 4u) + lanes, vec4<u32>(taps - 1u));
  let kk = KH * KW;
  let dha = vec4<i32>(((qa % kk) / KW) * DH) - vec4<i32>(i32(PH));
  let dhb = vec4<i32>(((qb % kk) / KW) * DH) - vec4<i32>(i32(PH));
  let dwa = vec4<i32>((qa % KW) * DW) - vec4<i32>(i32(PW));
  let dwb = vec4<i32>((qb % KW) * DW) - vec4<i32>(i32(PW));
  let offa = vec4<i32>((qa / kk) * (H * W)) + dha * i32(W) + dwa;
  let offb = vec4<i32>((qb / kk) * (H * W)) + dhb * i32(W) + dwb;

  // This split's range of (n, oh, ow), walked with counters rather than divisions (empty from RANGES on).
  let total = B * ohw;
  let chunk = (total + RANGES - 1u) / RANGES;
  let k0 = min(split * chunk, total);
  let k1 = min(k0 + chunk, total);
  var n = k0 / ohw;
  var oh = (k0 % ohw) / OW;
  var ow = k0 % OW;
  var acc: Acc;
  for (var k = k0; k < k1; k++) {
    let ih = i32(oh * SH);
    let iw = i32(ow * SW);
    let pix = i32(n * C * H * W) + ih * i32(W) + iw;
    let y0 = gatherInput(vec4<i32>(pix) + offa, vec4<i32>(ih) + dha, vec4<i32>(iw) + dwa);
    let y1 = gatherInput(vec4<i32>(pix) + offb, vec4<i32>(ih) + dhb, vec4<i32>(iw) + dwb);
    accumulateTile(&acc, ra, n * CO * ohw + oh * OW + ow, y0, y1);
    ow++;
    if (ow == OW) {
      ow = 0u;
      oh++;
      if (oh == OH) {
        oh = 0u;
        n++;
      }
    }
  }

  // partials[split, co, q] = out[co * taps + (split * CO * taps + q)].
  var cols: TileColumns;
  cols.col0 = vec4<u32>(split * CO * taps) + qa;
  cols.col1 = vec4<u32>(split * CO * taps) + qb;
  cols.count = min(TILE_N, taps - q0);
  storeTile(&acc, row0, CO, taps, cols);
}
