// Backward of nll_loss: dx [B, C] is -dy / B at (b, labels[b]) and 0 elsewhere; one invocation per
// element. A row whose label is outside [0, C) is all NaN (written as bits, as in nll_loss.wgsl, whose
// loss is NaN too): a bad label poisons what it touches rather than vanishing silently.
@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> labels: array<i32>;
@group(0) @binding(2) var<storage, read_write> dx: array<u32>;

override B: u32;
override C: u32;

const NAN_BITS = 0x7fc00000u;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * 64u;
  if (i >= B * C) { return; }
  let label = labels[i / C];
  if (label < 0 || u32(label) >= C) {
    dx[i] = NAN_BITS;
    return;
  }
  dx[i] = bitcast<u32>(select(0.0, -dy[0] / f32(B), u32(label) == i % C));
}
