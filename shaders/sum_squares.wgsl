// Sums of squares of several tensors at once: workgroup w of a dispatch reduces one tensor into
// out[BASE + w], with strided partial sums per invocation and then a tree in workgroup memory (a
// fixed order: the same inputs give the same bits). src/ops/sum-squares.ts generates the two forms'
// bindings and sums: a chunk of tensors bound one by one (x0, x1, ... with lengths N0, N1, ...; a
// switch picks workgroup w's, since WGSL cannot index bindings), or one binding over tensors laid
// out side by side (a flat update's gradients) with each one's offset and length in a uniform.
{{INPUTS}}
@group(0) @binding({{OUT}}) var<storage, read_write> out: array<f32>;

override BASE: u32;
const WG = 256u;
var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
{{SUM}}
  partial[lid] = acc;
  workgroupBarrier();
  for (var half = WG / 2u; half > 0u; half = half / 2u) {
    if (lid < half) { partial[lid] = partial[lid] + partial[lid + half]; }
    workgroupBarrier();
  }
  if (lid == 0u) { out[BASE + wg.x] = partial[0]; }
}
