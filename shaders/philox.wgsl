// Philox4x32-10 (Salmon et al., SC'11), the counter-based generator of src/random/philox.ts, as a WGSL
// snippet that kernels needing randomness (dropout, later on-GPU init) prepend to their own code.
// Block (counter, key) is a pure function of its arguments, so a kernel draws the same numbers as
// the host does, in any order and without state. WGSL has no 64-bit integers: the high half of each
// 32x32 product is built from 16-bit halves exactly as the TypeScript mulhi() does; u32 arithmetic
// wraps, which is what the low half and the key schedule want.

const PHILOX_M0 = 0xd2511f53u;
const PHILOX_M1 = 0xcd9e8d57u;
const PHILOX_W0 = 0x9e3779b9u;
const PHILOX_W1 = 0xbb67ae85u;

// High 32 bits of the 64-bit product a * b.
fn philox_mulhi(a: u32, b: u32) -> u32 {
  let a_lo = a & 0xffffu;
  let a_hi = a >> 16u;
  let b_lo = b & 0xffffu;
  let b_hi = b >> 16u;
  let lh = a_lo * b_hi;
  let hl = a_hi * b_lo;
  let mid = ((a_lo * b_lo) >> 16u) + (lh & 0xffffu) + (hl & 0xffffu);
  return a_hi * b_hi + (lh >> 16u) + (hl >> 16u) + (mid >> 16u);
}

// Ten Philox rounds of a 4-word counter under a 2-word key.
fn philox4x32(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  var c = counter;
  var k = key;
  for (var round = 0u; round < 10u; round++) {
    let hi0 = philox_mulhi(PHILOX_M0, c.x);
    let lo0 = PHILOX_M0 * c.x;
    let hi1 = philox_mulhi(PHILOX_M1, c.z);
    let lo1 = PHILOX_M1 * c.z;
    c = vec4<u32>(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
    k = k + vec2<u32>(PHILOX_W0, PHILOX_W1);
  }
  return c;
}
