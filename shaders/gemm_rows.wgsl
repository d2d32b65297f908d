// What the rows snippets of the register-tiled GEMM kernels share: shaders/gemm_rows_plain.wgsl
// (every invocation loads its tile's 16 values of `a` for each k itself) and
// shaders/gemm_rows_subgroup.wgsl (those loads shared across a subgroup) give the kernel the same
// interface: TileRows, tileRows(), sharesRows(), accumulateShared() and accumulateOwn(). How `a` is
// bound comes from shaders/gemm_rows_f32.wgsl (one float per element) or shaders/gemm_rows_vec4.wgsl
// (four k per element, K_BLOCK = 4). A kernel's module is those snippets, this file, then the kernel
// (src/ops/gemm-dispatch.ts).

// Row r of the block, columns 0-3 at [2r], columns 4-7 at [2r + 1].
alias Acc = array<vec4<f32>, 32>;

// Offsets in `a` of the block's 16 rows (clamped to row `rows - 1`), each `stride` apart.
fn tileRowOffsets(row0: u32, rows: u32, stride: u32) -> array<u32, 16> {
  var ra: array<u32, 16>;
  let last = rows - 1u;
  ra[0] = min(row0, last) * stride;
  ra[1] = min(row0 + 1u, last) * stride;
  ra[2] = min(row0 + 2u, last) * stride;
  ra[3] = min(row0 + 3u, last) * stride;
  ra[4] = min(row0 + 4u, last) * stride;
  ra[5] = min(row0 + 5u, last) * stride;
  ra[6] = min(row0 + 6u, last) * stride;
  ra[7] = min(row0 + 7u, last) * stride;
  ra[8] = min(row0 + 8u, last) * stride;
  ra[9] = min(row0 + 9u, last) * stride;
  ra[10] = min(row0 + 10u, last) * stride;
  ra[11] = min(row0 + 11u, last) * stride;
  ra[12] = min(row0 + 12u, last) * stride;
  ra[13] = min(row0 + 13u, last) * stride;
  ra[14] = min(row0 + 14u, last) * stride;
  ra[15] = min(row0 + 15u, last) * stride;
  return ra;
}

// One k: element o of the 16 rows times the 8 gathered column values y0, y1.
fn accumulateRows(acc: ptr<function, Acc>, ra: array<u32, 16>, o: u32, y0: vec4<f32>, y1: vec4<f32>) {
  let x0 = aAt(ra[0] + o); (*acc)[0] += x0 * y0; (*acc)[1] += x0 * y1;
  let x1 = aAt(ra[1] + o); (*acc)[2] += x1 * y0; (*acc)[3] += x1 * y1;
  let x2 = aAt(ra[2] + o); (*acc)[4] += x2 * y0; (*acc)[5] += x2 * y1;
  let x3 = aAt(ra[3] + o); (*acc)[6] += x3 * y0; (*acc)[7] += x3 * y1;
  let x4 = aAt(ra[4] + o); (*acc)[8] += x4 * y0; (*acc)[9] += x4 * y1;
  let x5 = aAt(ra[5] + o); (*acc)[10] += x5 * y0; (*acc)[11] += x5 * y1;
  let x6 = aAt(ra[6] + o); (*acc)[12] += x6 * y0; (*acc)[13] += x6 * y1;
  let x7 = aAt(ra[7] + o); (*acc)[14] += x7 * y0; (*acc)[15] += x7 * y1;
  let x8 = aAt(ra[8] + o); (*acc)[16] += x8 * y0; (*acc)[17] += x8 * y1;
  let x9 = aAt(ra[9] + o); (*acc)[18] += x9 * y0; (*acc)[19] += x9 * y1;
  let x10 = aAt(ra[10] + o); (*acc)[20] += x10 * y0; (*acc)[21] += x10 * y1;
  let x11 = aAt(ra[11] + o); (*acc)[22] += x11 * y0; (*acc)[23] += x11 * y1;
  let x12 = aAt(ra[12] + o); (*acc)[24] += x12 * y0; (*acc)[25] += x12 * y1;
  let x13 = aAt(ra[13] + o); (*acc)[26] += x13 * y0; (*acc)[27] += x13 * y1;
  let x14 = aAt(ra[14] + o); (*acc)[28] += x14 * y0; (*acc)[29] += x14 * y1;
  let x15 = aAt(ra[15] + o); (*acc)[30] += x15 * y0; (*acc)[31] += x15 * y1;
}

// Four k at once, o to o + 3 (o a multiple of 4): one aQuad() per row, times y[2j] (columns 0-3)
// and y[2j + 1] (columns 4-7) of k = o + j. The kernels call it only where K_BLOCK is 4.
fn accumulateQuads(acc: ptr<function, Acc>, t: TileRows, o: u32, y: array<vec4<f32>, 8>) {
  { let v = aQuad(t.at[0] + o); (*acc)[0] += v.x * y[0] + v.y * y[2] + v.z * y[4] + v.w * y[6]; (*acc)[1] += v.x * y[1] + v.y * y[3] + v.z * y[5] + v.w * y[7]; }
  { let v = aQuad(t.at[1] + o); (*acc)[2] += v.x * y[0] + v.y * y[2] + v.z * y[4] + v.w * y[6]; (*acc)[3] += v.x * y[1] + v.y * y[3] + v.z * y[5] + v.w * y[7]; }
  { let v = aQuad(t.at[2] + o); (*acc)[4] += v.x * y[0] + v.y * y[2] + v.z * y[4] + v.w * y[6]; (*acc)[5] += v.x * y[1] + v.y * y[3] + v.z * y[5] + v.w * y[7]; }
  { let v = aQuad(t.at[3] + o); (*acc)[6] += v.x * y[0] + v.y * y[2] + v.z * y[4] + v.w * y[6]; (*acc)[7] += v.x * y[1] + v.y * y[3] + v.z * y[5] + v.w * y[7]; }
  { let v = aQuad(t.at[4] + o); (*acc)[8] += v.x * y[0] + v.y * y[2] + v.z * y[4] + v.w * y[6]; (*acc)[9] += v.x * y[1] + v.y * y[3] + v.z * y[5] + v.w * y[7]; }
  { let v = aQuad(t.at[5] + o); (*acc)[10] += v.x * y[0] + v.y * y[2] + v.z * y[4] + v.w * y[6]; (*acc)[11] += v.x * y[1] + v.y * y[3] + v.z * y[5] + v.w * y[7]; }
  { let v = aQuad(t.at[6] + o); (*acc)[12] += v.x * y[0] + v.y * y[2] + v.z * y[4] + v.w * y[6]; (*acc)[13] += v.x * y[1] + v.y * y[3] + v.z * y[5] + v.w * y[7]; }
  { let v = aQuad(t.at[7] + o); (*acc)[14] += v.x * y[0] + v.y * y[2] + v.z * y[4] + v.w * y[6]; (*acc)[15] += v.x * y[1] + v.y * y[3] + v.z * y[5] + v.w * y[7]; }
  { let v = aQuad(t.at[8] + o); (*acc)[16] += v.x * y[0] + v.y * y[2] + v.z * y[4] + v.w * y[6]; (*acc)[17] += v.x * y[1] + v.y * y[3] + v.z * y[5] + v.w * y[7]; }
  { let v = aQuad(t.at[9] + o); (*acc)[18] += v.x * y[0] + v.y * y[2] + v.z * y[4] + v.w * y[6]; (*acc)[19] += v.x * y[1] + v.y * y[3] + v.z * y[5] + v.w * y[7]; }
  { let v = aQuad(t.at[10] + o); (*acc)[20] += v.x * y[0] + v.y * y[2] + v.z * y[4] + v.w * y[6]; (*acc)[21] += v.x * y[1] + v.y * y[3] + v.z * y[5] + v.w * y[7]; }
  { let v = aQuad(t.at[11] + o); (*acc)[22] += v.x * y[0] + v.y * y[2] + v.z * y[4] + v.w * y[6]; (*acc)[23] += v.x * y[1] + v.y * y[3] + v.z * y[5] + v.w * y[7]; }
  { let v = aQuad(t.at[12] + o); (*acc)[24] += v.x * y[0] + v.y * y[2] + v.z * y[4] + v.w * y[6]; (*acc)[25] += v.x * y[1] + v.y * y[3] + v.z * y[5] + v.w * y[7]; }
  { let v = aQuad(t.at[13] + o); (*acc)[26] += v.x * y[0] + v.y * y[2] + v.z * y[4] + v.w * y[6]; (*acc)[27] += v.x * y[1] + v.y * y[3] + v.z * y[5] + v.w * y[7]; }
  { let v = aQuad(t.at[14] + o); (*acc)[28] += v.x * y[0] + v.y * y[2] + v.z * y[4] + v.w * y[6]; (*acc)[29] += v.x * y[1] + v.y * y[3] + v.z * y[5] + v.w * y[7]; }
  { let v = aQuad(t.at[15] + o); (*acc)[30] += v.x * y[0] + v.y * y[2] + v.z * y[4] + v.w * y[6]; (*acc)[31] += v.x * y[1] + v.y * y[3] + v.z * y[5] + v.w * y[7]; }
}
