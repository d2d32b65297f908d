// Backward of softmax and log-softmax (LOG = true) along the middle axis of [OUTER, LEN, INNER], from
// the forward output y and the incoming gradient dy, in one pass per row:
//   softmax:      dx = y * (dy - t),       t = sum(dy * y)
//   log_softmax:  dx = dy - exp(y) * t,    t = sum(dy)
// One file for both ops (src/ops/softmax.ts), with the same two entry points as shaders/softmax.wgsl:
// rows (one invocation per row) and wide (one workgroup per row, the row sum by a tree).
@group(0) @binding(0) var<storage, read> y: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;

override OUTER: u32;
override LEN: u32;
override INNER: u32;
override LOG: bool = false;

fn term(i: u32) -> f32 {
  if (LOG) { return dy[i]; }
  return dy[i] * y[i];
}

fn result(i: u32, t: f32) -> f32 {
  if (LOG) { return dy[i] - exp(y[i]) * t; }
  return y[i] * (dy[i] - t);
}

@compute @workgroup_size(64)
fn rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let o = gid.x + gid.y * groups.x * 64u;
  if (o >= OUTER * INNER) { return; }
  let base = (o / INNER) * LEN * INNER + o % INNER;
  var t = 0.0;
  for (var r = 0u; r < LEN; r++) {
    t += term(base + r * INNER);
  }
  for (var r = 0u; r < LEN; r++) {
    let i = base + r * INNER;
    dx[i] = result(i, t);
  }
}

const WIDE = 128u;
var<workgroup> partial: array<f32, WIDE>;

@compute @workgroup_size(WIDE)
fn wide(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let base = (wg.x / INNER) * LEN * INNER + wg.x % INNER;
  var t = 0.0;
  for (var r = lid; r < LEN; r += WIDE) {
    t += term(base + r * INNER);
  }
  partial[lid] = t;
  workgroupBarrier();
  for (var stride = WIDE / 2u; stride > 0u; stride = stride / 2u) {
    if (lid < stride) {
      partial[lid] += partial[lid + stride];
    }
    workgroupBarrier();
  }
  t = partial[0];
  for (var r = lid; r < LEN; r += WIDE) {
    let i = base + r * INNER;
    dx[i] = result(i, t);
  }
}
