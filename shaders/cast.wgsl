// A dtype conversion between the 32-bit types, element by element, as torch.Tensor.float() / .int():
// i32 to f32 exactly where representable (rounded otherwise), f32 to i32 truncated toward zero.
// Both sides are bound as raw words so that one module serves both directions (TO_F32 picks).
@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read_write> y: array<u32>;

override N: u32;
override TO_F32: bool;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * 64u;
  if (i >= N) { return; }
  if (TO_F32) {
    y[i] = bitcast<u32>(f32(bitcast<i32>(x[i])));
  } else {
    y[i] = bitcast<u32>(i32(bitcast<f32>(x[i])));
  }
}
