// slice: a box of a tensor (start and size on each axis, step 1), materialised, and its gradient, the
// box written back into zeros of the whole shape. Elements are copied as raw words, so one module
// serves f32 and i32. src/ops/slice.ts fills the uniform `box` when the graph is compiled.

struct Box {
  small: array<vec4<u32>, 2>,   // the box's shape, rank <= 8
  big: array<vec4<u32>, 2>,     // the whole tensor's shape
  starts: array<vec4<u32>, 2>,  // where the box starts on each axis
}

override N: u32;
override RANK: u32 = 1u;

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;
@group(0) @binding(2) var<uniform> box: Box;

// The flat offset in the whole tensor of element i of the box.
fn offset_in_whole(i: u32) -> u32 {
  var rem = i;
  var off = 0u;
  var stride = 1u;
  for (var d = i32(RANK) - 1; d >= 0; d--) {
    let dim = box.small[d / 4][d % 4];
    off += (rem % dim + box.starts[d / 4][d % 4]) * stride;
    rem = rem / dim;
    stride *= box.big[d / 4][d % 4];
  }
  return off;
}

// dst is the box, src the whole tensor: one invocation per element of the box.
@compute @workgroup_size(64)
fn gather(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * 64u;
  if (i >= N) { return; }
  dst[i] = src[offset_in_whole(i)];
}

// dst is the whole tensor, src the box: the box's values where it lies, zero elsewhere.
@compute @workgroup_size(64)
fn scatter(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * 64u;
  if (i >= N) { return; }
  var rem = i;
  var off = 0u;
  var stride = 1u;
  var inside = true;
  for (var d = i32(RANK) - 1; d >= 0; d--) {
    let dim = box.big[d / 4][d % 4];
    let c = rem % dim;
    rem = rem / dim;
    let start = box.starts[d / 4][d % 4];
    let size = box.small[d / 4][d % 4];
    if (c < start || c >= start + size) { inside = false; }
    off += (c - start) * stride;
    stride *= size;
  }
  if (inside) { dst[i] = src[off]; } else { dst[i] = 0u; }
}

// dst is the whole tensor, src one box of it: the box's values written where it lies and nothing
// else, so several dispatches (concat's inputs) fill disjoint boxes of one output.
@compute @workgroup_size(64)
fn place(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * 64u;
  if (i >= N) { return; }
  dst[offset_in_whole(i)] = src[i];
}
