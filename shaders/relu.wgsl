// relu: max(a, 0).
fn op(a: f32) -> f32 { return max(a, 0.0); }
