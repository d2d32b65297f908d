// Matrix product C[M,N] = op(A)[M,K] · op(B)[K,N], where op() reads its operand transposed when
// TRANS_A / TRANS_B is set (A stored [K,M], B stored [N,K]); no transposed copy is ever made.
//
// Register blocking without workgroup memory: each invocation computes a TM x TN = 16 x 8 tile of C
// in 32 vec4 accumulators, reading op(A)'s 16 values and op(B)'s 8 values of each k straight from
// global memory. Barriers are very slow on software adapters (SwiftShader), and there every load is
// a per-lane gather whatever its width, so what pays is many multiply-adds per value loaded:
// 16 x 8 gives 128 per 24 loads (measured faster than 16 x 4, 8 x 8, 16 x 16 and 32 x 8 there).
//
// Edges: row and column indices are clamped to the last row / column once, before the k loop, so
// the loop needs no bounds checks at all; the clamped duplicates are simply not stored.
//
// All loads are scalar: on SwiftShader a vec4 load costs four gathers like four scalar ones, and a
// variant reading B as vec4 when N % 4 == 0 measured 5-10% slower there, so there is one kernel for
// every shape and layout.
//
// The loads of op(A) and the accumulators come from the register-tile prelude placed first in the
// module (src/ops/gemm/register-tile.ts): its rows loaded by each invocation, or shared across a
// subgroup; in its vec4 forms A is bound as vec4s and the k loop takes four k per step, the one
// exception to scalar loads, offered to tuning for the adapters where it pays (llvmpipe).
//
// Epilogue (set by the fusion pass): HAS_BIAS adds bias[n] to every row of C, then RELU takes
// max(., 0), both on the accumulators before the store, so C is written once.

override M: u32;
override N: u32;
override K: u32;
override TRANS_A: bool = false;
override TRANS_B: bool = false;
override HAS_BIAS: bool = false;
override RELU: bool = false;
// Invocations per workgroup: 64, except that the lowering picks 32 or 16 when a small output would
// make fewer than 4 workgroups (a software adapter spreads workgroups over its CPU threads; MNIST's
// fc1 forward, 64 invocations with K = 9216, ran up to 30% faster as 2-4 groups than as one).
override WG: u32 = 64u;

const TM = 16u;
const TN = 8u;

@group(0) @binding(0) var<storage, read> a: array<AElement>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
// [N]; without a bias, b is bound here again and never read.
@group(0) @binding(3) var<storage, read> bias: array<f32>;

struct Tile {
  row0: u32,
  col0: u32,
  // op(A)[m, k] is at m * am + k * ak.
  am: u32,
  ak: u32,
  // Offsets of op(B)[0, col0 + j] for j = 0..7 (clamped to N - 1); op(B)[k, n] is at cb + k * bk.
  cb0: vec4<u32>,
  cb1: vec4<u32>,
  bk: u32,
}

// The flat invocation index: dispatches wider than 65,535 workgroups spread over x and y.
fn flatIndex(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * WG;
}

fn tileCount() -> u32 {
  return ((M + TM - 1u) / TM) * ((N + TN - 1u) / TN);
}

// In store() (and in the rows snippet's accumulate functions), rows are written out one by one:
// SwiftShader's JIT does not unroll loops, and a single dynamically indexed access to an array keeps
// the whole array in memory instead of registers (store() as a loop measured about 35% slower).
fn tileOf(idx: u32) -> Tile {
  let colTiles = (N + TN - 1u) / TN;
  var t: Tile;
  t.row0 = (idx / colTiles) * TM;
  t.col0 = (idx % colTiles) * TN;
  // Element strides of the operands as stored: A is [M,K] or [K,M], B is [K,N] or [N,K].
  t.am = select(K, 1u, TRANS_A);
  t.ak = select(1u, M, TRANS_A);
  let bn = select(1u, K, TRANS_B);
  t.bk = select(N, 1u, TRANS_B);
  let lanes = vec4<u32>(0u, 1u, 2u, 3u);
  t.cb0 = min(vec4<u32>(t.col0) + lanes, vec4<u32>(N - 1u)) * bn;
  t.cb1 = min(vec4<u32>(t.col0 + 4u) + lanes, vec4<u32>(N - 1u)) * bn;
  return t;
}

// Columns col0..col0+3 of one row of C; those at or past N are dropped.
fn store4(row: u32, col0: u32, v: vec4<f32>) {
  let o = row * N + col0;
  if (col0 + 4u <= N) {
    c[o] = v.x;
    c[o + 1u] = v.y;
    c[o + 2u] = v.z;
    c[o + 3u] = v.w;
    return;
  }
  if (col0 < N) { c[o] = v.x; }
  if (col0 + 1u < N) { c[o + 1u] = v.y; }
  if (col0 + 2u < N) { c[o + 2u] = v.z; }
}

// The epilogue of one accumulator vector: its columns' bias values e, then relu, as the overrides say.
fn finish(v: vec4<f32>, e: vec4<f32>) -> vec4<f32> {
  var r = v;
  if (HAS_BIAS) { r += e; }
  if (RELU) { r = max(r, vec4<f32>(0.0)); }
  return r;
}

fn store(t: Tile, acc: ptr<function, Acc>) {
  // The bias of the tile's 8 columns (clamped to column N - 1 like the loads; those are not stored).
  var e0 = vec4<f32>(0.0);
  var e1 = vec4<f32>(0.0);
  if (HAS_BIAS) {
    let lanes = vec4<u32>(0u, 1u, 2u, 3u);
    let j0 = min(vec4<u32>(t.col0) + lanes, vec4<u32>(N - 1u));
    let j1 = min(vec4<u32>(t.col0 + 4u) + lanes, vec4<u32>(N - 1u));
    e0 = vec4<f32>(bias[j0.x], bias[j0.y], bias[j0.z], bias[j0.w]);
    e1 = vec4<f32>(bias[j1.x], bias[j1.y], bias[j1.z], bias[j1.w]);
  }
  if (t.row0 + 0u < M) { store4(t.row0 + 0u, t.col0, finish((*acc)[0], e0)); store4(t.row0 + 0u, t.col0 + 4u, finish((*acc)[1], e1)); }
  if (t.row0 + 1u < M) { store4(t.row0 + 1u, t.col0, finish((*acc)[2], e0)); store4(t.row0 + 1u, t.col0 + 4u, finish((*acc)[3], e1)); }
  if (t.row0 + 2u < M) { store4(t.row0 + 2u, t.col0, finish((*acc)[4], e0)); store4(t.row0 + 2u, t.col0 + 4u, finish((*acc)[5], e1)); }
  if (t.row0 + 3u < M) { store4(t.row0 + 3u, t.col0, finish((*acc)[6], e0)); store4(t.row0 + 3u, t.col0 + 4u, finish((*acc)[7], e1)); }
  if (t.row0 + 4u < M) { store4(t.row0 + 4u, t.col0, finish((*acc)[8], e0)); store4(t.row0 + 4u, t.col0 + 4u, finish((*acc)[9], e1)); }
  if (t.row0 + 5u < M) { store4(t.row0 + 5u, t.col0, finish((*acc)[10], e0)); store4(t.row0 + 5u, t.col0 + 4u, finish((*acc)[11], e1)); }
  if (t.row0 + 6u < M) { store4(t.row0 + 6u, t.col0, finish((*acc)[12], e0)); store4(t.row0 + 6u, t.col0 + 4u, finish((*acc)[13], e1)); }
  if (t.row0 + 7u < M) { store4(t.row0 + 7u, t.col0, finish((*acc)[14], e0)); store4(t.row0 + 7u, t.col0 + 4u, finish((*acc)[15], e1)); }
  if (t.row0 + 8u < M) { store4(t.row0 + 8u, t.col0, finish((*acc)[16], e0)); store4(t.row0 + 8u, t.col0 + 4u, finish((*acc)[17], e1)); }
  if (t.row0 + 9u < M) { store4(t.row0 + 9u, t.col0, finish((*acc)[18], e0)); store4(t.row0 + 9u, t.col0 + 4u, finish((*acc)[19], e1)); }
  if (t.row0 + 10u < M) { store4(t.row0 + 10u, t.col0, finish((*acc)[20], e0)); store4(t.row0 + 10u, t.col0 + 4u, finish((*acc)[21], e1)); }
  if (t.row0 + 11u < M) { store4(t.row0 + 11u, t.col0, finish((*acc)[22], e0)); store4(t.row0 + 11u, t.col0 + 4u, finish((*acc)[23], e1)); }
  if (t.row0 + 12u < M) { store4(t.row0 + 12u, t.col0, finish((*acc)[24], e0)); store4(t.row0 + 12u, t.col0 + 4u, finish((*acc)[25], e1)); }
  if (t.row0 + 13u < M) { store4(t.row0 + 13u, t.col0, finish((*acc)[26], e0)); store4(t.row0 + 13u, t.col0 + 4u, finish((*acc)[27], e1)); }
  if (t.row0 + 14u < M) { store4(t.row0 + 14u, t.col0, finish((*acc)[28], e0)); store4(t.row0 + 14u, t.col0 + 4u, finish((*acc)[29], e1)); }
  if (t.row0 + 15u < M) { store4(t.row0 + 15u, t.col0, finish((*acc)[30], e0)); store4(t.row0 + 15u, t.col0 + 4u, finish((*acc)[31], e1)); }
}

// The tile's 8 values of op(B)'s row k.
fn rowOfB(t: Tile, k: u32) -> array<vec4<f32>, 2> {
  let o = k * t.bk;
  return array<vec4<f32>, 2>(
    vec4<f32>(b[t.cb0.x + o], b[t.cb0.y + o], b[t.cb0.z + o], b[t.cb0.w + o]),
    vec4<f32>(b[t.cb1.x + o], b[t.cb1.y + o], b[t.cb1.z + o], b[t.cb1.w + o]),
  );
}

// Rows k..k+3 of op(B) for the tile, as accumulateQuads() takes them.
fn rowsOfB(t: Tile, k: u32) -> array<vec4<f32>, 8> {
  let y0 = rowOfB(t, k);
  let y1 = rowOfB(t, k + 1u);
  let y2 = rowOfB(t, k + 2u);
  let y3 = rowOfB(t, k + 3u);
  return array<vec4<f32>, 8>(y0[0], y0[1], y1[0], y1[1], y2[0], y2[1], y3[0], y3[1]);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let idx = flatIndex(gid, groups);
  // No early return past the last tile: every invocation runs (those past the end on the last tile,
  // storing nothing), so a subgroup shares its loads with all lanes present (the subgroup form).
  let live = idx < tileCount();
  let tile = min(idx, tileCount() - 1u);
  let t = tileOf(tile);
  // The 16 rows of op(A), clamped to M - 1 once so the loop needs no bounds checks.
  let rows = tileRows(t.row0, M, t.am, tile / ((N + TN - 1u) / TN), idx % 4u);
  var acc: Acc;
  if (K_BLOCK == 4u && sharesRows(rows)) {
    // `a` bound as vec4s (a vec4 form of src/ops/gemm/register-tile.ts), offered only for an untransposed A with
    // K % 4 == 0: row m's k..k+3 are one element.
    for (var k = 0u; k < K; k += 4u) {
      accumulateQuadsShared(&acc, rows, k, rowsOfB(t, k));
    }
  } else if (K_BLOCK == 4u) {
    for (var k = 0u; k < K; k += 4u) {
      accumulateQuads(&acc, rows, k, rowsOfB(t, k));
    }
  } else if (sharesRows(rows)) {
    for (var k = 0u; k < K; k++) {
      let y = rowOfB(t, k);
      accumulateShared(&acc, rows, k * t.ak, y[0], y[1]);
    }
  } else {
    for (var k = 0u; k < K; k++) {
      let y = rowOfB(t, k);
      accumulateOwn(&acc, rows, k * t.ak, y[0], y[1]);
    }
  }
  if (live) { store(t, &acc); }
}
