// The register tile shared by the implicit-GEMM kernels (conv2d forward, input gradient, weight
// gradient): one invocation computes a 16 x 8 block of an output matrix whose 16 rows are read from
// the storage buffer `a` (declared by the kernel that includes this snippet) and whose 8 columns
// the kernel gathers itself, k by k, into two vec4s. Writes go to the kernel's `out`. The rows come
// from the rows snippets that go first in the module (shaders/gemm_rows_plain.wgsl or its subgroup
// twin, then shaders/gemm_rows.wgsl; see src/ops/gemm-dispatch.ts).
//
// The layout follows shaders/matmul.wgsl, and for the same reasons: no workgroup memory (barriers are
// slow on software adapters), every row written out by hand (SwiftShader does not unroll loops, and
// one dynamically indexed access keeps a whole array in memory instead of registers), and row offsets
// clamped to the last row once, so the inner loop needs no bounds checks on `a`.

const TILE_M = 16u;
const TILE_N = 8u;

// Where the block's columns go: out[row * rowStride + col[j]] for the first `count` columns.
struct TileColumns {
  col0: vec4<u32>,
  col1: vec4<u32>,
  count: u32,
}

fn storeRow(base: u32, cols: TileColumns, v0: vec4<f32>, v1: vec4<f32>) {
  if (cols.count == 8u) {
    out[base + cols.col0.x] = v0.x; out[base + cols.col0.y] = v0.y; out[base + cols.col0.z] = v0.z; out[base + cols.col0.w] = v0.w;
    out[base + cols.col1.x] = v1.x; out[base + cols.col1.y] = v1.y; out[base + cols.col1.z] = v1.z; out[base + cols.col1.w] = v1.w;
    return;
  }
  if (cols.count > 0u) { out[base + cols.col0.x] = v0.x; }
  if (cols.count > 1u) { out[base + cols.col0.y] = v0.y; }
  if (cols.count > 2u) { out[base + cols.col0.z] = v0.z; }
  if (cols.count > 3u) { out[base + cols.col0.w] = v0.w; }
  if (cols.count > 4u) { out[base + cols.col1.x] = v1.x; }
  if (cols.count > 5u) { out[base + cols.col1.y] = v1.y; }
  if (cols.count > 6u) { out[base + cols.col1.z] = v1.z; }
}

// Rows row0.. of the block (those below `rows`), row r at out offset (row0 + r) * rowStride + col.
fn storeTile(acc: ptr<function, Acc>, row0: u32, rows: u32, rowStride: u32, cols: TileColumns) {
  if (row0 + 0u < rows) { storeRow((row0 + 0u) * rowStride, cols, (*acc)[0], (*acc)[1]); }
  if (row0 + 1u < rows) { storeRow((row0 + 1u) * rowStride, cols, (*acc)[2], (*acc)[3]); }
  if (row0 + 2u < rows) { storeRow((row0 + 2u) * rowStride, cols, (*acc)[4], (*acc)[5]); }
  if (row0 + 3u < rows) { storeRow((row0 + 3u) * rowStride, cols, (*acc)[6], (*acc)[7]); }
  if (row0 + 4u < rows) { storeRow((row0 + 4u) * rowStride, cols, (*acc)[8], (*acc)[9]); }
  if (row0 + 5u < rows) { storeRow((row0 + 5u) * rowStride, cols, (*acc)[10], (*acc)[11]); }
  if (row0 + 6u < rows) { storeRow((row0 + 6u) * rowStride, cols, (*acc)[12], (*acc)[13]); }
  if (row0 + 7u < rows) { storeRow((row0 + 7u) * rowStride, cols, (*acc)[14], (*acc)[15]); }
  if (row0 + 8u < rows) { storeRow((row0 + 8u) * rowStride, cols, (*acc)[16], (*acc)[17]); }
  if (row0 + 9u < rows) { storeRow((row0 + 9u) * rowStride, cols, (*acc)[18], (*acc)[19]); }
  if (row0 + 10u < rows) { storeRow((row0 + 10u) * rowStride, cols, (*acc)[20], (*acc)[21]); }
  if (row0 + 11u < rows) { storeRow((row0 + 11u) * rowStride, cols, (*acc)[22], (*acc)[23]); }
  if (row0 + 12u < rows) { storeRow((row0 + 12u) * rowStride, cols, (*acc)[24], (*acc)[25]); }
  if (row0 + 13u < rows) { storeRow((row0 + 13u) * rowStride, cols, (*acc)[26], (*acc)[27]); }
  if (row0 + 14u < rows) { storeRow((row0 + 14u) * rowStride, cols, (*acc)[28], (*acc)[29]); }
  if (row0 + 15u < rows) { storeRow((row0 + 15u) * rowStride, cols, (*acc)[30], (*acc)[31]); }
}

// Adds a per-row value (a bias) to every column of the block: row r gets v[r].
fn addRowValues(acc: ptr<function, Acc>, v: array<f32, 16>) {
  (*acc)[0] += v[0]; (*acc)[1] += v[0];
  (*acc)[2] += v[1]; (*acc)[3] += v[1];
  (*acc)[4] += v[2]; (*acc)[5] += v[2];
  (*acc)[6] += v[3]; (*acc)[7] += v[3];
  (*acc)[8] += v[4]; (*acc)[9] += v[4];
  (*acc)[10] += v[5]; (*acc)[11] += v[5];
  (*acc)[12] += v[6]; (*acc)[13] += v[6];
  (*acc)[14] += v[7]; (*acc)[15] += v[7];
  (*acc)[16] += v[8]; (*acc)[17] += v[8];
  (*acc)[18] += v[9]; (*acc)[19] += v[9];
  (*acc)[20] += v[10]; (*acc)[21] += v[10];
  (*acc)[22] += v[11]; (*acc)[23] += v[11];
  (*acc)[24] += v[12]; (*acc)[25] += v[12];
  (*acc)[26] += v[13]; (*acc)[27] += v[13];
  (*acc)[28] += v[14]; (*acc)[29] += v[14];
  (*acc)[30] += v[15]; (*acc)[31] += v[15];
}

// max(v, 0) on every value of the block (a relu epilogue); written out by hand like the rest.
fn reluTile(acc: ptr<function, Acc>) {
  let zero = vec4<f32>(0.0);
  (*acc)[0] = max((*acc)[0], zero); (*acc)[1] = max((*acc)[1], zero);
  (*acc)[2] = max((*acc)[2], zero); (*acc)[3] = max((*acc)[3], zero);
  (*acc)[4] = max((*acc)[4], zero); (*acc)[5] = max((*acc)[5], zero);
  (*acc)[6] = max((*acc)[6], zero); (*acc)[7] = max((*acc)[7], zero);
  (*acc)[8] = max((*acc)[8], zero); (*acc)[9] = max((*acc)[9], zero);
  (*acc)[10] = max((*acc)[10], zero); (*acc)[11] = max((*acc)[11], zero);
  (*acc)[12] = max((*acc)[12], zero); (*acc)[13] = max((*acc)[13], zero);
  (*acc)[14] = max((*acc)[14], zero); (*acc)[15] = max((*acc)[15], zero);
  (*acc)[16] = max((*acc)[16], zero); (*acc)[17] = max((*acc)[17], zero);
  (*acc)[18] = max((*acc)[18], zero); (*acc)[19] = max((*acc)[19], zero);
  (*acc)[20] = max((*acc)[20], zero); (*acc)[21] = max((*acc)[21], zero);
  (*acc)[22] = max((*acc)[22], zero); (*acc)[23] = max((*acc)[23], zero);
  (*acc)[24] = max((*acc)[24], zero); (*acc)[25] = max((*acc)[25], zero);
  (*acc)[26] = max((*acc)[26], zero); (*acc)[27] = max((*acc)[27], zero);
  (*acc)[28] = max((*acc)[28], zero); (*acc)[29] = max((*acc)[29], zero);
  (*acc)[30] = max((*acc)[30], zero); (*acc)[31] = max((*acc)[31], zero);
}

// The flat invocation index: dispatches wider than 65,535 workgroups spread over x and y.
fn flatIndex(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * WG;
}
