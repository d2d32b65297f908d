// log_softmax_nll_grad: d loss / d x for loss = nll_loss(log_softmax(x, 1), labels) (mean over B)
// and the loss gradient seed (a scalar), from the logits x [B, C] themselves:
//   dx[b, c] = (softmax(x)[b, c] - (c == labels[b])) * seed / B
// which is what nll_loss_grad followed by log_softmax_grad computes (dy = -seed / B at the label,
// dx = dy - exp(log_softmax) * sum(dy)), in one kernel. The softmax is exp(x - m) / s with m the row's
// maximum and s = sum exp(x - m), as in softmax.wgsl. A row whose label is outside [0, C) is all NaN,
// as the unfused pair makes it; written as bits (dx is bound as u32, see nll_loss_grad.wgsl).
// Two entry points chosen by the lowering as for softmax_grad.wgsl: rows (one invocation per row) and
// wide (one workgroup per row, the max and the sum by a tree in workgroup memory).
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> seed: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<i32>;
@group(0) @binding(3) var<storage, read_write> dx: array<u32>;

override B: u32;
override C: u32;

const NAN_BITS = 0x7fc00000u;

fn valid_label(b: u32) -> bool {
  let label = labels[b];
  return label >= 0 && u32(label) < C;
}

// dx[b, c] from the row's maximum m and sum s, for a row with a valid label.
fn gradient(b: u32, c: u32, m: f32, s: f32) -> u32 {
  let i = b * C + c;
  let is_label = select(0.0, 1.0, u32(labels[b]) == c);
  return bitcast<u32>((exp(x[i] - m) / s - is_label) * (seed[0] / f32(B)));
}

@compute @workgroup_size(64)
fn rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let b = gid.x + gid.y * groups.x * 64u;
  if (b >= B) { return; }
  let base = b * C;
  if (!valid_label(b)) {
    for (var c = 0u; c < C; c++) {
      dx[base + c] = NAN_BITS;
    }
    return;
  }
  let stats = row_max_sum_exp(base);
  let m = stats.x;
  let s = stats.y;
  for (var c = 0u; c < C; c++) {
    dx[base + c] = gradient(b, c, m, s);
  }
}

// WIDE, `partial` and combine_partials() come from shaders/row_combine.wgsl, appended by the op.
@compute @workgroup_size(WIDE)
fn wide(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let b = wg.x;
  let base = b * C;
  // Invocations past the row's end start from its first element: a neutral value for max.
  var m = x[base];
  for (var c = lid; c < C; c += WIDE) {
    m = max(m, x[base + c]);
  }
  partial[lid] = m;
  m = combine_partials(lid, true);
  var s = 0.0;
  for (var c = lid; c < C; c += WIDE) {
    s += exp(x[base + c] - m);
  }
  partial[lid] = s;
  s = combine_partials(lid, false);
  let valid = valid_label(b);
  for (var c = lid; c < C; c += WIDE) {
    dx[base + c] = select(NAN_BITS, gradient(b, c, m, s), valid);
  }
}
