// where: a where the condition is nonzero (a mask of 1s and 0s, as equal() makes), else b.
fn op(c: f32, a: f32, b: f32) -> f32 { return select(b, a, c != 0.0); }
