// text_windows: B windows of T tokens from a token stream of N, at starts drawn on the GPU: window b
// of the step with counter `step` starts at word (b % 4) of Philox4x32-10 block (b / 4, step, 1, 0)
// under KEY, modulo N - T (src/ops/text-windows.ts draws the same on the CPU). OFFSET 1 gives the
// next-token targets of the OFFSET 0 inputs. src/ops/text-windows.ts prepends shaders/philox.wgsl.
@group(0) @binding(0) var<storage, read> tokens: array<i32>;
@group(0) @binding(1) var<storage, read> step: array<i32, 1>;
@group(0) @binding(2) var<storage, read_write> out: array<i32>;

override N: u32;
override B: u32;
override T: u32;
override OFFSET: u32;
override KEY0: u32;
override KEY1: u32;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * 64u;
  if (i >= B * T) { return; }
  let b = i / T;
  let block = philox4x32(vec4<u32>(b / 4u, u32(step[0]), 1u, 0u), vec2<u32>(KEY0, KEY1));
  let start = block[b % 4u] % (N - T);
  out[i] = tokens[start + i % T + OFFSET];
}
