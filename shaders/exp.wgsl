// exp: e^a.
fn op(a: f32) -> f32 { return exp(a); }
