// Softmax and log-softmax of a tensor viewed as [OUTER, LEN, INNER], along its middle axis. One file
// for both ops (src/ops/softmax.ts and src/ops/log-softmax.ts): they differ only in the final formula,
// chosen by the LOG override. Numerically stable whatever the logits: with m the row's maximum and
// s = sum exp(x - m) (every exponent <= 0, so nothing overflows and s >= 1),
//   softmax = exp(x - m) / s        log_softmax = (x - m) - log(s)
// Two entry points, picked by the lowering as in reduce.wgsl:
//  - rows: one invocation per row, three passes over it; many short rows (a batch of 10-class logits);
//  - wide: one workgroup per row, each pass strided over the row with the max and the sum combined by
//    a tree in workgroup memory; few long rows (1000 classes), which one invocation would do serially.
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;

override OUTER: u32;
override LEN: u32;
override INNER: u32;
override LOG: bool = false;

fn result(v: f32, m: f32, s: f32) -> f32 {
  if (LOG) { return v - m - log(s); }
  return exp(v - m) / s;
}

@compute @workgroup_size(64)
fn rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let o = gid.x + gid.y * groups.x * 64u;
  if (o >= OUTER * INNER) { return; }
  let base = (o / INNER) * LEN * INNER + o % INNER;
  var m = x[base];
  for (var r = 1u; r < LEN; r++) {
    m = max(m, x[base + r * INNER]);
  }
  var s = 0.0;
  for (var r = 0u; r < LEN; r++) {
    s += exp(x[base + r * INNER] - m);
  }
  for (var r = 0u; r < LEN; r++) {
    let i = base + r * INNER;
    y[i] = result(x[i], m, s);
  }
}

// WIDE, `partial` and combine_partials() come from shaders/row_combine.wgsl, appended by the op.
@compute @workgroup_size(WIDE)
fn wide(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let base = (wg.x / INNER) * LEN * INNER + wg.x % INNER;
  // Invocations past the row's end start from its first element: a neutral value for max.
  var m = x[base];
  for (var r = lid; r < LEN; r += WIDE) {
    m = max(m, x[base + r * INNER]);
  }
  partial[lid] = m;
  m = combine_partials(lid, true);
  var s = 0.0;
  for (var r = lid; r < LEN; r += WIDE) {
    s += exp(x[base + r * INNER] - m);
  }
  partial[lid] = s;
  s = combine_partials(lid, false);
  for (var r = lid; r < LEN; r += WIDE) {
    let i = base + r * INNER;
    y[i] = result(x[i], m, s);
  }
}
