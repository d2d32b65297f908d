// counter_add: an i32 counter plus a constant (the optimizer's step count, a dataset's read cursor).
fn counter_add(counter: i32, amount: i32) -> i32 {
  return counter + amount;
}
