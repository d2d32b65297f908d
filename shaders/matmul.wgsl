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

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
// [N]; without a bias, b is bound here again and never read.
@group(0) @binding(3) var<storage, read> bias: array<f32>;

// Row r of the tile, columns 0-3 at [2r], columns 4-7 at [2r + 1].
alias Acc = array<vec4<f32>, 32>;

struct Tile {
  row0: u32,
  col0: u32,
  // Offset of op(A)[row0 + r, 0] for each row (clamped to M - 1); op(A)[m, k] is at ra[r] + k * ak.
  ra: array<u32, 16>,
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

// Here and in accumulate() and store(), rows are written out one by one: SwiftShader's JIT does not
// unroll loops, and a single dynamically indexed access to an array keeps the whole array in memory
// instead of registers (store() as a loop over the accumulators measured about 35% slower).
fn tileOf(idx: u32) -> Tile {
  let colTiles = (N + TN - 1u) / TN;
  var t: Tile;
  t.row0 = (idx / colTiles) * TM;
  t.col0 = (idx % colTiles) * TN;
  // Element strides of the operands as stored: A is [M,K] or [K,M], B is [K,N] or [N,K].
  let am = select(K, 1u, TRANS_A);
  t.ak = select(1u, M, TRANS_A);
  let bn = select(1u, K, TRANS_B);
  t.bk = select(N, 1u, TRANS_B);
  t.ra[0] = min(t.row0 + 0u, M - 1u) * am;
  t.ra[1] = min(t.row0 + 1u, M - 1u) * am;
  t.ra[2] = min(t.row0 + 2u, M - 1u) * am;
  t.ra[3] = min(t.row0 + 3u, M - 1u) * am;
  t.ra[4] = min(t.row0 + 4u, M - 1u) * am;
  t.ra[5] = min(t.row0 + 5u, M - 1u) * am;
  t.ra[6] = min(t.row0 + 6u, M - 1u) * am;
  t.ra[7] = min(t.row0 + 7u, M - 1u) * am;
  t.ra[8] = min(t.row0 + 8u, M - 1u) * am;
  t.ra[9] = min(t.row0 + 9u, M - 1u) * am;
  t.ra[10] = min(t.row0 + 10u, M - 1u) * am;
  t.ra[11] = min(t.row0 + 11u, M - 1u) * am;
  t.ra[12] = min(t.row0 + 12u, M - 1u) * am;
  t.ra[13] = min(t.row0 + 13u, M - 1u) * am;
  t.ra[14] = min(t.row0 + 14u, M - 1u) * am;
  t.ra[15] = min(t.row0 + 15u, M - 1u) * am;
  let lanes = vec4<u32>(0u, 1u, 2u, 3u);
  t.cb0 = min(vec4<u32>(t.col0) + lanes, vec4<u32>(N - 1u)) * bn;
  t.cb1 = min(vec4<u32>(t.col0 + 4u) + lanes, vec4<u32>(N - 1u)) * bn;
  return t;
}

// One k: the tile's 16 values of op(A)'s column k times the 8 values y0, y1 of op(B)'s row k.
fn accumulate(acc: ptr<function, Acc>, t: Tile, k: u32, y0: vec4<f32>, y1: vec4<f32>) {
  let o = k * t.ak;
  let x0 = a[t.ra[0] + o]; (*acc)[0] += x0 * y0; (*acc)[1] += x0 * y1;
  let x1 = a[t.ra[1] + o]; (*acc)[2] += x1 * y0; (*acc)[3] += x1 * y1;
  let x2 = a[t.ra[2] + o]; (*acc)[4] += x2 * y0; (*acc)[5] += x2 * y1;
  let x3 = a[t.ra[3] + o]; (*acc)[6] += x3 * y0; (*acc)[7] += x3 * y1;
  let x4 = a[t.ra[4] + o]; (*acc)[8] += x4 * y0; (*acc)[9] += x4 * y1;
  let x5 = a[t.ra[5] + o]; (*acc)[10] += x5 * y0; (*acc)[11] += x5 * y1;
  let x6 = a[t.ra[6] + o]; (*acc)[12] += x6 * y0; (*acc)[13] += x6 * y1;
  let x7 = a[t.ra[7] + o]; (*acc)[14] += x7 * y0; (*acc)[15] += x7 * y1;
  let x8 = a[t.ra[8] + o]; (*acc)[16] += x8 * y0; (*acc)[17] += x8 * y1;
  let x9 = a[t.ra[9] + o]; (*acc)[18] += x9 * y0; (*acc)[19] += x9 * y1;
  let x10 = a[t.ra[10] + o]; (*acc)[20] += x10 * y0; (*acc)[21] += x10 * y1;
  let x11 = a[t.ra[11] + o]; (*acc)[22] += x11 * y0; (*acc)[23] += x11 * y1;
  let x12 = a[t.ra[12] + o]; (*acc)[24] += x12 * y0; (*acc)[25] += x12 * y1;
  let x13 = a[t.ra[13] + o]; (*acc)[26] += x13 * y0; (*acc)[27] += x13 * y1;
  let x14 = a[t.ra[14] + o]; (*acc)[28] += x14 * y0; (*acc)[29] += x14 * y1;
  let x15 = a[t.ra[15] + o]; (*acc)[30] += x15 * y0; (*acc)[31] += x15 * y1;
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

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let idx = flatIndex(gid, groups);
  if (idx >= tileCount()) { return; }
  let t = tileOf(idx);
  var acc: Acc;
  for (var k = 0u; k < K; k++) {
    let o = k * t.bk;
    let y0 = vec4<f32>(b[t.cb0.x + o], b[t.cb0.y + o], b[t.cb0.z + o], b[t.cb0.w + o]);
    let y1 = vec4<f32>(b[t.cb1.x + o], b[t.cb1.y + o], b[t.cb1.z + o], b[t.cb1.w + o]);
    accumulate(&acc, t, k, y0, y1);
  }
  store(t, &acc);
}
