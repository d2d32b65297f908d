// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11): a counter-based
// generator. Output block i of key k is a pure function of (k, i), so the same seed gives the same
// numbers in Node and in Chrome, and a GPU kernel can compute the same stream without sharing state.

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** High 32 bits of the 64-bit product of two u32 (the low half is Math.imul). */
function mulhi(a: number, b: number): number {
  const aL = a & 0xffff;
  const aH = a >>> 16;
  const bL = b & 0xffff;
  const bH = b >>> 16;
  const lh = aL * bH;
  const hl = aH * bL;
  const mid = ((aL * bL) >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (aH * bH + (lh >>> 16) + (hl >>> 16) + (mid >>> 16)) >>> 0;
}

/** Ten Philox rounds of a 4-word counter under a 2-word key; writes four u32 into `out`. */
export function philox4x32(counter: readonly [number, number, number, number], key: readonly [number, number], out: Uint32Array): void {
  let [c0, c1, c2, c3] = counter;
  let [k0, k1] = key;
  for (let round = 0; round < 10; round++) {
    const hi0 = mulhi(M0, c0);
    const lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi(M1, c2);
    const lo1 = Math.imul(M1, c2) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

/**
 * A stream of random numbers keyed by (seed, stream id): sequential draws walk the Philox counter.
 * Distinct stream ids give independent streams from one seed (initialisation, shuffling, dropout).
 */
export class RandomStream {
  private readonly key: [number, number];
  private counter = 0;
  private readonly block = new Uint32Array(4);
  private used = 4;

  constructor(seed: number, stream = 0) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`seed must be an integer in [0, 2^32), got ${seed}`);
    this.key = [seed >>> 0, stream >>> 0];
  }

  /** Where the stream is: the next block's counter and how many words of the current block are used. */
  get position(): { counter: number; used: number } {
    return { counter: this.counter, used: this.used };
  }

  /** Moves the stream to a position taken from `position` (of a stream with the same seed and id). */
  seek(position: { counter: number; used: number }): void {
    const { counter, used } = position;
    if (!Number.isSafeInteger(counter) || counter < 0 || !Number.isInteger(used) || used < 0 || used > 4 || (counter === 0 && used !== 4)) {
      throw new RangeError(`RandomStream.seek: not a stream position: ${JSON.stringify(position)}`);
    }
    this.counter = counter;
    this.used = used;
    if (counter > 0) philox4x32([(counter - 1) >>> 0, Math.floor((counter - 1) / 2 ** 32) >>> 0, 0, 0], this.key, this.block);
  }

  /** The next u32. */
  nextU32(): number {
    if (this.used === 4) {
      philox4x32([this.counter >>> 0, Math.floor(this.counter / 2 ** 32) >>> 0, 0, 0], this.key, this.block);
      this.counter++;
      this.used = 0;
    }
    return this.block[this.used++]!;
  }

  /** Uniform in [0, 1) with 24 random bits: exactly representable as f32. */
  uniform(): number {
    return (this.nextU32() >>> 8) / 16777216;
  }

  /** Standard normal by Box-Muller (one value per pair of uniforms, the cosine branch). */
  normal(): number {
    const u1 = 1 - this.uniform(); // (0, 1]: log stays finite
    const u2 = this.uniform();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** Uniform integer in [0, n) without modulo bias (rejection sampling). */
  below(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 2 ** 32) throw new RangeError(`below: n must be an integer in [1, 2^32], got ${n}`);
    const limit = 2 ** 32 - (2 ** 32 % n);
    for (;;) {
      const u = this.nextU32();
      if (u < limit) return u % n;
    }
  }

  /** A random permutation of 0..n-1 (Fisher-Yates), as torch.randperm. */
  permutation(n: number): Int32Array {
    const p = Int32Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = this.below(i + 1);
      const t = p[i]!;
      p[i] = p[j]!;
      p[j] = t;
    }
    return p;
  }

  fillUniform(out: Float32Array, lo: number, hi: number): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = lo + (hi - lo) * this.uniform();
    return out;
  }

  fillNormal(out: Float32Array, mean: number, std: number): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = mean + std * this.normal();
    return out;
  }
}

/** Stream ids for the uses of one seed, so that adding a use never shifts another's numbers. */
export const STREAM = { init: 1, shuffle: 2, data: 3, dropout: 4, split: 5, tensor: 6, windows: 7 } as const;

let globalInit = new RandomStream(0, STREAM.init);
let globalDropout = new RandomStream(0, STREAM.dropout);
let globalTensor = new RandomStream(0, STREAM.tensor);

/**
 * Seeds parameter initialisation, as torch.manual_seed does for the layers created after it, and the
 * keys of the dropout layers created after it (a stream of their own: adding, removing or moving a
 * dropout layer never changes another layer's initial weights, as in PyTorch).
 */
export function manualSeed(seed: number): void {
  globalInit = new RandomStream(seed, STREAM.init);
  globalDropout = new RandomStream(seed, STREAM.dropout);
  globalTensor = new RandomStream(seed, STREAM.tensor);
}

/** The stream layers draw their initial weights from; only layers with parameters draw from it. */
export function initStream(): RandomStream {
  return globalInit;
}

/** The stream dropout layers draw their Philox keys from. */
export function dropoutKeyStream(): RandomStream {
  return globalDropout;
}

/** The stream kiln.rand and kiln.randn draw from. */
export function tensorStream(): RandomStream {
  return globalTensor;
}
