// A comparison as a mask: 1.0 where `a CMP b` holds, else 0.0 (src/ops/compare.ts fills in CMP).
fn op(a: f32, b: f32) -> f32 { return select(0.0, 1.0, a {{CMP}} b); }
