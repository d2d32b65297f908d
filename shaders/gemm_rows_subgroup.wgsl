enable subgroups;
// Every subgroup operation here runs where the whole subgroup runs: the kernels clamp their tile
// index instead of returning early, and `same` below is checked before any value is shared.
diagnostic(off, subgroup_uniformity);
// The rows of a 16 x 8 register tile with the loads of `a` shared across a subgroup: the same
// interface as shaders/gemm_rows_plain.wgsl, and like it followed by shaders/gemm_rows.wgsl.
// Neighbouring invocations work on neighbouring column tiles of the same 16 rows, so each k they all
// load the same 16 values of `a`.
// On a software adapter every load is a per-lane gather whatever the addresses, and those 16 gathers
// are most of a k step. Here lane j of each group of 4 loads rows j, j+4, j+8, j+12, and
// subgroupBroadcast hands each value to the others: 4 gathers and 16 broadcasts instead of 16
// gathers (on SwiftShader: matmul about 30% faster, the MNIST training step about 15%).
// Sharing is right only when the subgroup's first 4 lanes are the kernel's invocations 4i..4i+3 (so
// that lane j took rows j, j+4, ...) and every lane has the same rows and the same loop trip counts
// (the `key` the kernel passes: its row tile, and its split for split-K). That is checked once per
// tile; a subgroup that fails the check (one that straddles two row tiles, say) loads its rows itself.
// WebGPU subgroups have at least 4 lanes, so lanes 0-3 always exist.

struct TileRows {
  at: array<u32, 16>,
  // Rows j, j+4, j+8, j+12 for this invocation's j = its index % 4.
  mine: vec4<u32>,
  // Whether the subgroup shares its loads (the same for every lane of the subgroup).
  same: bool,
}

fn tileRows(row0: u32, rows: u32, stride: u32, key: u32, j: u32) -> TileRows {
  var t: TileRows;
  t.at = tileRowOffsets(row0, rows, stride);
  let last = rows - 1u;
  t.mine = min(vec4<u32>(row0 + j) + vec4<u32>(0u, 4u, 8u, 12u), vec4<u32>(last)) * stride;
  let lanes = subgroupBroadcast(j, 0u) == 0u && subgroupBroadcast(j, 1u) == 1u && subgroupBroadcast(j, 2u) == 2u && subgroupBroadcast(j, 3u) == 3u;
  t.same = lanes && subgroupAll(key == subgroupBroadcast(key, 0u));
  return t;
}

// Whether the subgroup shares its loads: then the kernel runs its k loop with accumulateShared(),
// else with accumulateOwn(). The choice is made outside the loop: a branch inside it, once per k,
// made the whole kernel about 4x slower on SwiftShader.
fn sharesRows(t: TileRows) -> bool {
  return t.same;
}

// One k: a[at[r] + o] for the 16 rows times the 8 gathered column values y0, y1, each value of `a`
// loaded by one lane of the subgroup's first 4 and broadcast to all.
fn accumulateShared(acc: ptr<function, Acc>, t: TileRows, o: u32, y0: vec4<f32>, y1: vec4<f32>) {
  let v0 = aAt(t.mine.x + o);
  let v1 = aAt(t.mine.y + o);
  let v2 = aAt(t.mine.z + o);
  let v3 = aAt(t.mine.w + o);
  var x = subgroupBroadcast(v0, 0u); (*acc)[0] += x * y0; (*acc)[1] += x * y1;
  x = subgroupBroadcast(v0, 1u); (*acc)[2] += x * y0; (*acc)[3] += x * y1;
  x = subgroupBroadcast(v0, 2u); (*acc)[4] += x * y0; (*acc)[5] += x * y1;
  x = subgroupBroadcast(v0, 3u); (*acc)[6] += x * y0; (*acc)[7] += x * y1;
  x = subgroupBroadcast(v1, 0u); (*acc)[8] += x * y0; (*acc)[9] += x * y1;
  x = subgroupBroadcast(v1, 1u); (*acc)[10] += x * y0; (*acc)[11] += x * y1;
  x = subgroupBroadcast(v1, 2u); (*acc)[12] += x * y0; (*acc)[13] += x * y1;
  x = subgroupBroadcast(v1, 3u); (*acc)[14] += x * y0; (*acc)[15] += x * y1;
  x = subgroupBroadcast(v2, 0u); (*acc)[16] += x * y0; (*acc)[17] += x * y1;
  x = subgroupBroadcast(v2, 1u); (*acc)[18] += x * y0; (*acc)[19] += x * y1;
  x = subgroupBroadcast(v2, 2u); (*acc)[20] += x * y0; (*acc)[21] += x * y1;
  x = subgroupBroadcast(v2, 3u); (*acc)[22] += x * y0; (*acc)[23] += x * y1;
  x = subgroupBroadcast(v3, 0u); (*acc)[24] += x * y0; (*acc)[25] += x * y1;
  x = subgroupBroadcast(v3, 1u); (*acc)[26] += x * y0; (*acc)[27] += x * y1;
  x = subgroupBroadcast(v3, 2u); (*acc)[28] += x * y0; (*acc)[29] += x * y1;
  x = subgroupBroadcast(v3, 3u); (*acc)[30] += x * y0; (*acc)[31] += x * y1;
}

// One k with this invocation's own 16 loads (the fallback).
fn accumulateOwn(acc: ptr<function, Acc>, t: TileRows, o: u32, y0: vec4<f32>, y1: vec4<f32>) {
  accumulateRows(acc, t.at, o, y0, y1);
}

// Four k at once (with shaders/gemm_rows_vec4.wgsl): lane j loads a vec4 of rows j, j+4, j+8 and
// j+12, and the whole vec4 is broadcast, as accumulateQuads() in shaders/gemm_rows.wgsl computes it.
// On SwiftShader that runs MNIST's conv2 forward and weight gradient about 10% faster than one k at a
// time (fewer trips round the loop for the same loads); tuning decides per kernel.
fn accumulateQuadsShared(acc: ptr<function, Acc>, t: TileRows, o: u32, y: array<vec4<f32>, 8>) {
  let v0 = aQuad(t.mine.x + o);
  let v1 = aQuad(t.mine.y + o);
  let v2 = aQuad(t.mine.z + o);
  let v3 = aQuad(t.mine.w + o);
  var x: vec4<f32>;
  x = subgroupBroadcast(v0, 0u); (*acc)[0] += x.x * y[0] + x.y * y[2] + x.z * y[4] + x.w * y[6]; (*acc)[1] += x.x * y[1] + x.y * y[3] + x.z * y[5] + x.w * y[7];
  x = subgroupBroadcast(v0, 1u); (*acc)[2] += x.x * y[0] + x.y * y[2] + x.z * y[4] + x.w * y[6]; (*acc)[3] += x.x * y[1] + x.y * y[3] + x.z * y[5] + x.w * y[7];
  x = subgroupBroadcast(v0, 2u); (*acc)[4] += x.x * y[0] + x.y * y[2] + x.z * y[4] + x.w * y[6]; (*acc)[5] += x.x * y[1] + x.y * y[3] + x.z * y[5] + x.w * y[7];
  x = subgroupBroadcast(v0, 3u); (*acc)[6] += x.x * y[0] + x.y * y[2] + x.z * y[4] + x.w * y[6]; (*acc)[7] += x.x * y[1] + x.y * y[3] + x.z * y[5] + x.w * y[7];
  x = subgroupBroadcast(v1, 0u); (*acc)[8] += x.x * y[0] + x.y * y[2] + x.z * y[4] + x.w * y[6]; (*acc)[9] += x.x * y[1] + x.y * y[3] + x.z * y[5] + x.w * y[7];
  x = subgroupBroadcast(v1, 1u); (*acc)[10] += x.x * y[0] + x.y * y[2] + x.z * y[4] + x.w * y[6]; (*acc)[11] += x.x * y[1] + x.y * y[3] + x.z * y[5] + x.w * y[7];
  x = subgroupBroadcast(v1, 2u); (*acc)[12] += x.x * y[0] + x.y * y[2] + x.z * y[4] + x.w * y[6]; (*acc)[13] += x.x * y[1] + x.y * y[3] + x.z * y[5] + x.w * y[7];
  x = subgroupBroadcast(v1, 3u); (*acc)[14] += x.x * y[0] + x.y * y[2] + x.z * y[4] + x.w * y[6]; (*acc)[15] += x.x * y[1] + x.y * y[3] + x.z * y[5] + x.w * y[7];
  x = subgroupBroadcast(v2, 0u); (*acc)[16] += x.x * y[0] + x.y * y[2] + x.z * y[4] + x.w * y[6]; (*acc)[17] += x.x * y[1] + x.y * y[3] + x.z * y[5] + x.w * y[7];
  x = subgroupBroadcast(v2, 1u); (*acc)[18] += x.x * y[0] + x.y * y[2] + x.z * y[4] + x.w * y[6]; (*acc)[19] += x.x * y[1] + x.y * y[3] + x.z * y[5] + x.w * y[7];
  x = subgroupBroadcast(v2, 2u); (*acc)[20] += x.x * y[0] + x.y * y[2] + x.z * y[4] + x.w * y[6]; (*acc)[21] += x.x * y[1] + x.y * y[3] + x.z * y[5] + x.w * y[7];
  x = subgroupBroadcast(v2, 3u); (*acc)[22] += x.x * y[0] + x.y * y[2] + x.z * y[4] + x.w * y[6]; (*acc)[23] += x.x * y[1] + x.y * y[3] + x.z * y[5] + x.w * y[7];
  x = subgroupBroadcast(v3, 0u); (*acc)[24] += x.x * y[0] + x.y * y[2] + x.z * y[4] + x.w * y[6]; (*acc)[25] += x.x * y[1] + x.y * y[3] + x.z * y[5] + x.w * y[7];
  x = subgroupBroadcast(v3, 1u); (*acc)[26] += x.x * y[0] + x.y * y[2] + x.z * y[4] + x.w * y[6]; (*acc)[27] += x.x * y[1] + x.y * y[3] + x.z * y[5] + x.w * y[7];
  x = subgroupBroadcast(v3, 2u); (*acc)[28] += x.x * y[0] + x.y * y[2] + x.z * y[4] + x.w * y[6]; (*acc)[29] += x.x * y[1] + x.y * y[3] + x.z * y[5] + x.w * y[7];
  x = subgroupBroadcast(v3, 3u); (*acc)[30] += x.x * y[0] + x.y * y[2] + x.z * y[4] + x.w * y[6]; (*acc)[31] += x.x * y[1] + x.y * y[3] + x.z * y[5] + x.w * y[7];
}
