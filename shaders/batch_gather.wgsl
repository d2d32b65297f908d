// Builds one minibatch on the GPU: row r of the batch is row order[cursor + r] of the dataset, so a
// shuffled epoch needs only its permutation uploaded, not one upload per step. Features may be
// stored as bytes (images: four u8 per 32-bit word) and are scaled and shifted into f32 on the way
// (x * SCALE + SHIFT: /255 and a normalisation); labels are copied as i32.
@group(0) @binding(0) var<storage, read> data: array<u32>;
@group(0) @binding(1) var<storage, read> order: array<i32>;
@group(0) @binding(2) var<storage, read> cursor: array<i32, 1>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;

override BATCH: u32;
override ROW: u32;       // elements per dataset row
override ROWS: u32;      // rows in the dataset (a guard against reading past it)
override SCALE: f32 = 1.0;
override SHIFT: f32 = 0.0;

fn source_row(r: u32) -> u32 {
  return min(u32(order[u32(cursor[0]) + r]), ROWS - 1u);
}

fn index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * 64u;
}

@compute @workgroup_size(64)
fn bytes_to_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = index(gid, groups);
  if (i >= BATCH * ROW) { return; }
  let e = source_row(i / ROW) * ROW + i % ROW;
  let byte = (data[e / 4u] >> ((e % 4u) * 8u)) & 0xffu;
  out[i] = bitcast<u32>(f32(byte) * SCALE + SHIFT);
}

@compute @workgroup_size(64)
fn f32_to_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = index(gid, groups);
  if (i >= BATCH * ROW) { return; }
  let e = source_row(i / ROW) * ROW + i % ROW;
  out[i] = bitcast<u32>(bitcast<f32>(data[e]) * SCALE + SHIFT);
}

@compute @workgroup_size(64)
fn copy_i32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = index(gid, groups);
  if (i >= BATCH * ROW) { return; }
  out[i] = data[source_row(i / ROW) * ROW + i % ROW];
}
