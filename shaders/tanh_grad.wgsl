// tanh backward from its output y: dy * (1 - y^2).
fn op(y: f32, dy: f32) -> f32 { return dy * (1.0 - y * y); }
