// sigmoid backward from its output y: dy * y * (1 - y).
fn op(y: f32, dy: f32) -> f32 { return dy * y * (1.0 - y); }
