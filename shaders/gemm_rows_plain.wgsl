// The rows of a 16 x 8 register tile (shaders/gemm_tile.wgsl, shaders/matmul.wgsl), plainly: every
// invocation loads its tile's 16 values of `a` for each k itself. Goes with shaders/gemm_rows.wgsl and
// one of shaders/gemm_rows_f32.wgsl or gemm_rows_vec4.wgsl; shaders/gemm_rows_subgroup.wgsl is the
// same interface with the loads shared across a subgroup.

struct TileRows {
  at: array<u32, 16>,
}

// The tile's rows from row0 (clamped to `rows - 1`), `stride` apart. `key` and `j` (the invocation's
// index % 4) matter only to the subgroup twin.
fn tileRows(row0: u32, rows: u32, stride: u32, key: u32, j: u32) -> TileRows {
  return TileRows(tileRowOffsets(row0, rows, stride));
}

// Never: see shaders/gemm_rows_subgroup.wgsl. The kernels' shared branch compiles away.
fn sharesRows(t: TileRows) -> bool {
  return false;
}

fn accumulateOwn(acc: ptr<function, Acc>, t: TileRows, o: u32, y0: vec4<f32>, y1: vec4<f32>) {
  accumulateRows(acc, t.at, o, y0, y1);
}

fn accumulateShared(acc: ptr<function, Acc>, t: TileRows, o: u32, y0: vec4<f32>, y1: vec4<f32>) {
  accumulateRows(acc, t.at, o, y0, y1);
}

fn accumulateQuadsShared(acc: ptr<function, Acc>, t: TileRows, o: u32, y: array<vec4<f32>, 8>) {
  accumulateQuads(acc, t, o, y);
}
