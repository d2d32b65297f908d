// permute: the input's axes in another order, materialised (torch.permute followed by .contiguous()).
// Output element i is split into coordinates with the output's shape and read from the input at the
// sum of those coordinates times the input's strides, taken in the permuted order (src/ops/permute.ts
// computes both, the uniform `order`, when the graph is compiled).

struct Order {
  shape: array<vec4<u32>, 2>,    // output shape, rank <= 8
  strides: array<vec4<u32>, 2>,  // input element stride of each output axis
}

override N: u32;
override RANK: u32 = 1u;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> order: Order;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * 64u;
  if (i >= N) { return; }
  var rem = i;
  var off = 0u;
  for (var d = i32(RANK) - 1; d >= 0; d--) {
    let dim = order.shape[d / 4][d % 4];
    off += (rem % dim) * order.strides[d / 4][d % 4];
    rem = rem / dim;
  }
  out[i] = x[off];
}
