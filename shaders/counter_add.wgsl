// Adds a constant to an i32 counter in place: the optimizer's step count, a dataset's read cursor.
// One invocation: the value is read by later dispatches of the same step, never concurrently.
@group(0) @binding(0) var<storage, read_write> counter: array<i32, 1>;

override AMOUNT: i32 = 1;

@compute @workgroup_size(1)
fn main() {
  counter[0] = counter[0] + AMOUNT;
}
