// The workgroup half of the row kernels' `wide` entry points (softmax, log_softmax and their fused
// log_softmax + nll backward): one workgroup of WIDE invocations per row, each holding a partial max or
// sum in `partial`, combined by a tree. Appended to those kernels' own WGSL by their op files.

const WIDE = 128u;
var<workgroup> partial: array<f32, WIDE>;

// Combines every invocation's partial[lid] (max or sum) and returns the total to all of them. Called
// in uniform control flow by the whole workgroup; the last barrier lets partial be reused after.
fn combine_partials(lid: u32, is_max: bool) -> f32 {
  workgroupBarrier();
  for (var stride = WIDE / 2u; stride > 0u; stride = stride / 2u) {
    if (lid < stride) {
      let a = partial[lid];
      let b = partial[lid + stride];
      partial[lid] = select(a + b, max(a, b), is_max);
    }
    workgroupBarrier();
  }
  let total = partial[0];
  workgroupBarrier();
  return total;
}
