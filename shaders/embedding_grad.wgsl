// embedding backward: dweight[v, c] = sum of dy[p, c] over the positions p with indices[p] = v. No float
// atomics in WGSL, so each row of the table gathers its own sum: one workgroup per row v (over x and
// y past 65,535), its invocations over the channels, each scanning the indices in order: the same sum
// in the same order on every run. Cost V * N index reads, fine for character and subword vocabularies.
@group(0) @binding(0) var<storage, read> indices: array<i32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dweight: array<f32>;

override N: u32;
override C: u32;
override V: u32;
const WG = 64u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let v = wg.x + wg.y * groups.x;
  if (v >= V) { return; }
  for (var c = lid; c < C; c += WG) {
    var s = 0.0;
    for (var p = 0u; p < N; p++) {
      if (indices[p] == i32(v)) { s += dy[p * C + c]; }
    }
    dweight[v * C + c] = s;
  }
}
