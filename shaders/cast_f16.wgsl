// Conversions between f32 and f16 storage, as torch.Tensor.half() and .float(). f16 tensors are held
// two to a 32-bit word (element 2i in the low half), the layout of pack2x16float and of array<f16>,
// so they need no `shader-f16` feature: every adapter reads and writes them.
// Both sides are bound as raw words, so one module serves both directions (two entry points).
@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read_write> y: array<u32>;

// Elements of the tensor (both sides).
override N: u32;

// One invocation per output word: elements 2i and 2i + 1 (zero past the end of an odd N), each
// rounded to the nearest f16.
@compute @workgroup_size(64)
fn to_f16(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * 64u;
  if (i >= (N + 1u) / 2u) { return; }
  let lo = bitcast<f32>(x[2u * i]);
  let hi = select(0.0, bitcast<f32>(x[min(2u * i + 1u, N - 1u)]), 2u * i + 1u < N);
  y[i] = pack2x16float(vec2<f32>(lo, hi));
}

// One invocation per output element, exactly (every f16 is an f32).
@compute @workgroup_size(64)
fn from_f16(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * 64u;
  if (i >= N) { return; }
  let pair = unpack2x16float(x[i / 2u]);
  y[i] = bitcast<u32>(select(pair.x, pair.y, i % 2u == 1u));
}
