// acc[SLOT] += SCALE * value[0]: sums a step's loss or metric on the GPU, so a training loop reads
// its running totals once per report instead of once per step.
@group(0) @binding(0) var<storage, read_write> acc: array<f32>;
@group(0) @binding(1) var<storage, read> value: array<f32, 1>;

override SLOT: u32 = 0u;
override SCALE: f32 = 1.0;

@compute @workgroup_size(1)
fn main() {
  acc[SLOT] = acc[SLOT] + SCALE * value[0];
}
