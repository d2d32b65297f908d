// Dropout on fused attention's weights (src/ops/flash-attention.ts). weight_mask(b, i, j) is 0 or
// 1 / (1 - p) for the weight of query i on key j in batch b: the mask shaders/dropout.wgsl gives
// element e = (b T + i) S + j of the [BH, T, S] weights, word e % 4 of Philox4x32-10 at counter
// (e / 4, step, 0, 0), kept iff that word is at least the threshold. So the fused form drops exactly
// the weights the composed form's dropout op drops. The op's lowering numbers the step's and the
// parameters' bindings (the kernel's last two) and prepends shaders/philox.wgsl.
struct DropParams {
  key: vec2<u32>,
  threshold: u32,   // round(p * 2^32), clamped to u32
  scale_bits: u32,  // bitcast<u32>(f32(1 / (1 - p)))
  drop_all: u32,    // 1 when p = 1
}

@group(0) @binding(STEP_BINDING) var<storage, read> drop_step: array<i32, 1>;
@group(0) @binding(PARAMS_BINDING) var<uniform> drop: DropParams;

fn weight_mask(b: u32, i: u32, j: u32) -> f32 {
  let e = (b * T + i) * S + j;
  let word = philox4x32(vec4<u32>(e / 4u, bitcast<u32>(drop_step[0]), 0u, 0u), drop.key)[e % 4u];
  return select(0.0, bitcast<f32>(drop.scale_bits), word >= drop.threshold && drop.drop_all == 0u);
}
