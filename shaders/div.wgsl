// div: a / b (IEEE: x/0 is inf or nan, as in PyTorch).
fn op(a: f32, b: f32) -> f32 { return a / b; }
