// Four input values x[o] for the conv kernels that read the input (forward and weight gradient),
// where (ih, iw) is each one's row and column: taps in the padding read as zero. Without padding
// every tap is inside the image (the output size guarantees it) and the checks compile away.
// Needs the kernel's `x` binding and PADDED override.
fn gatherInput(o: vec4<i32>, ih: vec4<i32>, iw: vec4<i32>) -> vec4<f32> {
  if (!PADDED) {
    return vec4<f32>(x[o.x], x[o.y], x[o.z], x[o.w]);
  }
  let inside = (ih >= vec4<i32>(0)) & (ih < vec4<i32>(i32(H))) & (iw >= vec4<i32>(0)) & (iw < vec4<i32>(i32(W)));
  let safe = select(vec4<i32>(0), o, inside);
  return select(vec4<f32>(0.0), vec4<f32>(x[safe.x], x[safe.y], x[safe.z], x[safe.w]), inside);
}
