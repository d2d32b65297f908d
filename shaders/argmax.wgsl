// argmax of a tensor viewed as [OUTER, LEN, INNER] along its middle axis, into i32: the first index
// of the maximum, as torch.argmax. (NaN is not special-cased: WGSL lets implementations assume it away.)
// Two entry points, picked by the lowering as in reduce.wgsl:
//  - rows: one invocation per output, a plain loop; a strict > keeps the first of equal maxima;
//  - wide: one workgroup per output, strided partial (value, index) pairs then a tree in workgroup
//    memory; ties between partials go to the lower index, so the first maximum still wins.
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<i32>;

override OUTER: u32;
override LEN: u32;
override INNER: u32;

@compute @workgroup_size(64)
fn rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let o = gid.x + gid.y * groups.x * 64u;
  if (o >= OUTER * INNER) { return; }
  let base = (o / INNER) * LEN * INNER + o % INNER;
  var best = x[base];
  var at = 0u;
  for (var r = 1u; r < LEN; r++) {
    let v = x[base + r * INNER];
    if (v > best) {
      best = v;
      at = r;
    }
  }
  y[o] = i32(at);
}

const WIDE = 128u;
var<workgroup> values: array<f32, WIDE>;
var<workgroup> indices: array<u32, WIDE>;

@compute @workgroup_size(WIDE)
fn wide(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let o = wg.x;
  let base = (o / INNER) * LEN * INNER + o % INNER;
  // Invocations past the row's end hold its last element: a real candidate, so no -inf is needed.
  var at = min(lid, LEN - 1u);
  var best = x[base + at * INNER];
  for (var r = lid + WIDE; r < LEN; r += WIDE) {
    let v = x[base + r * INNER];
    if (v > best) {
      best = v;
      at = r;
    }
  }
  values[lid] = best;
  indices[lid] = at;
  workgroupBarrier();
  for (var stride = WIDE / 2u; stride > 0u; stride = stride / 2u) {
    if (lid < stride) {
      let v = values[lid + stride];
      let i = indices[lid + stride];
      if (v > values[lid] || (v == values[lid] && i < indices[lid])) {
        values[lid] = v;
        indices[lid] = i;
      }
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    y[o] = i32(indices[0]);
  }
}
