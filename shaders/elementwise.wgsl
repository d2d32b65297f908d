// Elementwise map with NumPy broadcasting over a flat output of N elements.
// src/ops/elementwise.ts fills the {{...}} slots: the input bindings, the op's own snippet (a WGSL
// function `op` from shaders/<op>.wgsl) and the expression that reads each input. An input with the
// output's shape is read at the flat index; a broadcast one goes through in_offset() and the strides
// in `meta` (0 along broadcast axes), computed once when the graph is compiled.

{{BINDINGS}}

struct Meta {
  shape: array<vec4<u32>, 2>,              // output shape, rank <= 8
  strides: array<array<vec4<u32>, 2>, 3>,  // per input: element strides in the output's index space
}

override N: u32;
override RANK: u32 = 1u;
// The op's scalar attribute (the exponent of pow, say); unused by most ops.
override S: f32 = 0.0;

fn in_offset(i: u32, k: u32) -> u32 {
  var rem = i;
  var off = 0u;
  for (var d = i32(RANK) - 1; d >= 0; d--) {
    let dim = bcast.shape[d / 4][d % 4];
    off += (rem % dim) * bcast.strides[k][d / 4][d % 4];
    rem = rem / dim;
  }
  return off;
}

{{SNIPPET}}

// Element i of the output.
fn map_at(i: u32) -> f32 {
  return op({{ARGS}});
}

// Each invocation maps PER consecutive elements, written out straight (software adapters do not
// unroll loops): there the cost of an invocation dwarfs one element's (relu_grad over MNIST's conv1
// activation on SwiftShader: 22 ms with one element per invocation, 11 ms with four).
const PER = 4u;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = (gid.x + gid.y * groups.x * 64u) * PER;
  if (i + PER <= N) {
    out[i] = map_at(i);
    out[i + 1u] = map_at(i + 1u);
    out[i + 2u] = map_at(i + 2u);
    out[i + 3u] = map_at(i + 3u);
    return;
  }
  for (var j = i; j < N; j++) { out[j] = map_at(j); }
}
