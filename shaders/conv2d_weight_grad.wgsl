// The weight gradient of conv2d as an implicit GEMM with split-K:
//   dw[co, (ci, kh, kw)] = sum over (n, oh, ow) of dy[n, co, oh, ow] * x[n, ci, oh*SH - PH + kh*DH, ow*SW - PW + kw*DW]
// The sum runs over every output pixel of the batch, far longer than the output is wide (a 3x3
// filter bank has only CO*C*9 weights), so it is split into SPLITS ranges, each summed by its own
// invocations into partials[split, co, ci, kh, kw]; the op's lowering adds the partials up after.
// Never one thread per weight: each invocation computes 16 output channels x 8 taps
// (src/ops/gemm/register-tile.ts) over its range.
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
@group(0) @binding(1) var<storage, read> a: array<AElement>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

// An output pixel (n, oh, ow) of the walk over this split's range.
struct Walk {
  n: u32,
  oh: u32,
  ow: u32,
}

fn advance(w: ptr<function, Walk>) {
  (*w).ow++;
  if ((*w).ow == OW) {
    (*w).ow = 0u;
    (*w).oh++;
    if ((*w).oh == OH) {
      (*w).oh = 0u;
      (*w).n++;
    }
  }
}

// Where dy[n, co, oh, ow] is, relative to row co of the GEMM's left operand.
fn dyOffset(w: Walk) -> u32 {
  return w.n * CO * OH * OW + w.oh * OW + w.ow;
}

// The tile's 8 taps: their offsets in x from the window origin, and their row and column shifts.
struct TapColumns {
  offa: vec4<i32>,
  offb: vec4<i32>,
  dha: vec4<i32>,
  dhb: vec4<i32>,
  dwa: vec4<i32>,
  dwb: vec4<i32>,
}

// The input values under the tile's 8 taps for output pixel w.
fn pixelValues(c: TapColumns, w: Walk) -> array<vec4<f32>, 2> {
  return valuesAlongRow(c, w, 0);
}

// pixelValues() of the pixel j places further along w's output row (its window SW*j columns on).
fn valuesAlongRow(c: TapColumns, w: Walk, j: i32) -> array<vec4<f32>, 2> {
  let ih = i32(w.oh * SH);
  let iw = i32(w.ow * SW) + j * i32(SW);
  let pix = vec4<i32>(i32(w.n * C * H * W) + ih * i32(W) + iw);
  return array<vec4<f32>, 2>(
    gatherInput(pix + c.offa, vec4<i32>(ih) + c.dha, vec4<i32>(iw) + c.dwa),
    gatherInput(pix + c.offb, vec4<i32>(ih) + c.dhb, vec4<i32>(iw) + c.dwb),
  );
}

// pixelValues() of w and the 3 pixels after it, as accumulateQuads() takes them; w ends past them.
fn fourPixels(c: TapColumns, w: ptr<function, Walk>) -> array<vec4<f32>, 8> {
  if (OW % 4u == 0u) {
    // The 4 pixels lie in one output row (w.ow is a multiple of 4): one walk step, one window origin.
    // On SwiftShader MNIST's conv2 334 -> 293 ms.
    let y = fourInRow(c, *w);
    (*w).ow += 3u;
    advance(w);
    return y;
  }
  let y0 = pixelValues(c, *w);
  advance(w);
  let y1 = pixelValues(c, *w);
  advance(w);
  let y2 = pixelValues(c, *w);
  advance(w);
  let y3 = pixelValues(c, *w);
  advance(w);
  return array<vec4<f32>, 8>(y0[0], y0[1], y1[0], y1[1], y2[0], y2[1], y3[0], y3[1]);
}

// pixelValues() of w and the 3 pixels after it in its row.
fn fourInRow(c: TapColumns, w: Walk) -> array<vec4<f32>, 8> {
  let y0 = valuesAlongRow(c, w, 0);
  let y1 = valuesAlongRow(c, w, 1);
  let y2 = valuesAlongRow(c, w, 2);
  let y3 = valuesAlongRow(c, w, 3);
  return array<vec4<f32>, 8>(y0[0], y0[1], y1[0], y1[1], y2[0], y2[1], y3[0], y3[1]);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let idx = flatIndex(gid, groups);
  let taps = C * KH * KW;
  let colTiles = (taps + TILE_N - 1u) / TILE_N;
  let tiles = colTiles * ((CO + TILE_M - 1u) / TILE_M);
  // No early return past the last tile: every invocation runs (those past the end on the last tile,
  // storing nothing), so a subgroup shares its loads with all lanes present (the subgroup form).
  let live = idx < tiles * SPLITS;
  let clamped = min(idx, tiles * SPLITS - 1u);
  let split = clamped / tiles;
  let tile = clamped % tiles;
  let row0 = (tile / colTiles) * TILE_M;
  let q0 = (tile % colTiles) * TILE_N;
  let ohw = OH * OW;
  // Lanes that share rows and a split share their loads: the key is (split, row tile).
  let ra = tileRows(row0, CO, ohw, clamped / colTiles, idx % 4u);

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
  // Ranges start at multiples of 4, so that with K_BLOCK 4 each block of 4 pixels is one vec4 of dy;
  // every variant cuts them so (and the CPU reference too), so all fill the same slabs.
  let total = B * ohw;
  let chunk = ((total + RANGES - 1u) / RANGES + 3u) / 4u * 4u;
  let k0 = min(split * chunk, total);
  let k1 = min(k0 + chunk, total);
  var w = Walk(k0 / ohw, (k0 % ohw) / OW, k0 % OW);
  let c = TapColumns(offa, offb, dha, dhb, dwa, dwb);
  var acc: Acc;
  if (K_BLOCK == 4u && sharesRows(ra)) {
    // `a` (dy) bound as vec4s (a vec4 form of src/ops/gemm/register-tile.ts), offered only when OH*OW % 4 == 0: then
    // 4 pixels from a multiple of 4 lie in one image, and their dy values are one vec4 per row.
    for (var k = k0; k < k1; k += 4u) {
      let o = dyOffset(w);
      accumulateQuadsShared(&acc, ra, o, fourPixels(c, &w));
    }
  } else if (K_BLOCK == 4u) {
    for (var k = k0; k < k1; k += 4u) {
      let o = dyOffset(w);
      accumulateQuads(&acc, ra, o, fourPixels(c, &w));
    }
  } else if (sharesRows(ra)) {
    for (var k = k0; k < k1; k++) {
      let y = pixelValues(c, w);
      accumulateShared(&acc, ra, dyOffset(w), y[0], y[1]);
      advance(&w);
    }
  } else {
    for (var k = k0; k < k1; k++) {
      let y = pixelValues(c, w);
      accumulateOwn(&acc, ra, dyOffset(w), y[0], y[1]);
      advance(&w);
    }
  }

  // partials[split, co, q] = out[co * taps + (split * CO * taps + q)].
  var cols: TileColumns;
  cols.col0 = vec4<u32>(split * CO * taps) + qa;
  cols.col1 = vec4<u32>(split * CO * taps) + qb;
  cols.count = min(TILE_N, taps - q0);
  if (live) { storeTile(&acc, row0, CO, taps, cols); }
}
