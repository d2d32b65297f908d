// add: a + b (broadcasting happens in the map kernel that calls op).
fn op(a: f32, b: f32) -> f32 { return a + b; }
