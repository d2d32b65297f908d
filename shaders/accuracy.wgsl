// accuracy: the fraction of the B rows of logits [B, C] whose argmax (first maximum, as argmax.wgsl)
// equals the row's label. One workgroup: each invocation scans a strided share of the rows and counts
// hits, a tree in workgroup memory adds the counts (integers: exact), and one division gives the f32.
// A label outside [0, C) never equals an argmax, so its row counts as wrong; labels are never used as
// indices, so nothing is read out of bounds.
@group(0) @binding(0) var<storage, read> logits: array<f32>;
@group(0) @binding(1) var<storage, read> labels: array<i32>;
@group(0) @binding(2) var<storage, read_write> result: array<f32>;

override B: u32;
override C: u32;

const WG = 256u;
var<workgroup> hits: array<u32, WG>;

fn row_argmax(b: u32) -> u32 {
  let base = b * C;
  var best = logits[base];
  var at = 0u;
  for (var c = 1u; c < C; c++) {
    let v = logits[base + c];
    if (v > best) {
      best = v;
      at = c;
    }
  }
  return at;
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32) {
  var count = 0u;
  for (var b = lid; b < B; b += WG) {
    if (i32(row_argmax(b)) == labels[b]) {
      count++;
    }
  }
  hits[lid] = count;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride = stride / 2u) {
    if (lid < stride) {
      hits[lid] += hits[lid + stride];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    result[0] = f32(hits[0]) / f32(B);
  }
}
