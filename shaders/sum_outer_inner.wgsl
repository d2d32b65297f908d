// Sum of a tensor viewed as [OUTER, KEPT, INNER] over its first and last axes:
//   y[k] = sum over a < OUTER and b < INNER of x[(a * KEPT + k) * INNER + b],
// a conv bias gradient (dy summed over the batch and the pixels) in one dispatch instead of a chain of
// two. Two entry points, as the axis kernels have (src/ops/axis-kernel.ts):
//  - rows: one invocation per output, a plain loop over each of its OUTER runs;
//  - wide: one workgroup per output, lanes over each of its OUTER runs (so consecutive lanes read
//    consecutive addresses), then a tree in workgroup memory.
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;

override OUTER: u32;
override KEPT: u32;
override INNER: u32;

// Run a of output k: its INNER consecutive elements, summed in order.
fn runSum(a: u32, k: u32) -> f32 {
  let base = (a * KEPT + k) * INNER;
  var acc = 0.0;
  for (var b = 0u; b < INNER; b++) {
    acc += x[base + b];
  }
  return acc;
}

@compute @workgroup_size(64)
fn rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let k = gid.x + gid.y * groups.x * 64u;
  if (k >= KEPT) { return; }
  var acc = 0.0;
  for (var a = 0u; a < OUTER; a++) {
    acc += runSum(a, k);
  }
  y[k] = acc;
}

const WIDE = 128u;
var<workgroup> partial: array<f32, WIDE>;

@compute @workgroup_size(WIDE)
fn wide(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let k = wg.x;
  var acc = 0.0;
  // Each run of INNER elements strided over the lanes: no division per element (which cost SwiftShader
  // twice the time of the two-dispatch chain); lanes past a short run idle for it.
  for (var a = 0u; a < OUTER; a++) {
    let base = (a * KEPT + k) * INNER;
    for (var b = lid; b < INNER; b += WIDE) {
      acc += x[base + b];
    }
  }
  partial[lid] = acc;
  workgroupBarrier();
  for (var stride = WIDE / 2u; stride > 0u; stride = stride / 2u) {
    if (lid < stride) {
      partial[lid] += partial[lid + stride];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    y[k] = partial[0];
  }
}

// One workgroup per output, each lane summing whole runs (lane l takes runs l, l + RUNS, ...), then
// lane 0 adds the lanes' sums after one barrier: every lane streams contiguous addresses, the pattern
// CPU emulators run fastest, and barriers are what they run slowest (a tree of six cost SwiftShader
// more than the second dispatch of the two-dispatch chain).
const RUNS = 64u;
var<workgroup> runPartial: array<f32, RUNS>;

@compute @workgroup_size(RUNS)
fn runs(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let k = wg.x;
  var acc = 0.0;
  for (var a = lid; a < OUTER; a += RUNS) {
    acc += runSum(a, k);
  }
  runPartial[lid] = acc;
  workgroupBarrier();
  if (lid == 0u) {
    var total = 0.0;
    for (var l = 0u; l < RUNS; l++) {
      total += runPartial[l];
    }
    y[k] = total;
  }
}
