// Reduction of a tensor viewed as [OUTER, LEN, INNER] along its middle axis: sum (times SCALE, so a
// mean is a sum with SCALE = 1/LEN) or max. Two entry points, chosen by the op's lowering:
//  - rows: one invocation per output, a plain loop; best when there are many outputs;
//  - wide: one workgroup per output, strided partial results then a tree in workgroup memory; best for
//    few long reductions (a loss summed over a batch) where one invocation alone would be serial.
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;

override OUTER: u32;
override LEN: u32;
override INNER: u32;
override IS_MAX: bool = false;
override SCALE: f32 = 1.0;

// The max starts from the row's first element (no -inf constant: WGSL constants must be finite).
fn identity(base: u32) -> f32 {
  if (IS_MAX) { return x[base]; }
  return 0.0;
}

fn combine(a: f32, b: f32) -> f32 {
  if (IS_MAX) { return max(a, b); }
  return a + b;
}

fn finish(acc: f32) -> f32 {
  if (IS_MAX) { return acc; }
  return acc * SCALE;
}

@compute @workgroup_size(64)
fn rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let o = gid.x + gid.y * groups.x * 64u;
  if (o >= OUTER * INNER) { return; }
  let base = (o / INNER) * LEN * INNER + o % INNER;
  var acc = identity(base);
  for (var r = 0u; r < LEN; r++) {
    acc = combine(acc, x[base + r * INNER]);
  }
  y[o] = finish(acc);
}

const WIDE = 128u;
var<workgroup> partial: array<f32, WIDE>;

@compute @workgroup_size(WIDE)
fn wide(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let o = wg.x;
  let base = (o / INNER) * LEN * INNER + o % INNER;
  var acc = identity(base);
  for (var r = lid; r < LEN; r += WIDE) {
    acc = combine(acc, x[base + r * INNER]);
  }
  partial[lid] = acc;
  workgroupBarrier();
  for (var stride = WIDE / 2u; stride > 0u; stride = stride / 2u) {
    if (lid < stride) {
      partial[lid] = combine(partial[lid], partial[lid + stride]);
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    y[o] = finish(partial[0]);
  }
}
