// relu backward: dy where the forward input x was positive, else 0 (PyTorch: 0 at x == 0).
fn op(x: f32, dy: f32) -> f32 { return select(0.0, dy, x > 0.0); }
