// embedding forward: out[p, c] = weight[indices[p], c], one invocation per output element. An index
// outside [0, V) reads as a row of zeros (src/ops/embedding.ts refuses such indices where it sees them).
@group(0) @binding(0) var<storage, read> indices: array<i32>;
@group(0) @binding(1) var<storage, read> weight: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

override N: u32;  // positions
override C: u32;  // embedding width
override V: u32;  // rows of the table

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * 64u;
  if (i >= N * C) { return; }
  let v = indices[i / C];
  if (v < 0 || u32(v) >= V) {
    out[i] = 0.0;
    return;
  }
  out[i] = weight[u32(v) * C + i % C];
}
