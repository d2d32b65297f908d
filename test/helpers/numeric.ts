// Seeded random data and tolerant comparisons for tests.
import { expect } from 'chai';

/** A small seeded generator (mulberry32): test data that is the same on every run. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomArray(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const next = rng(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * next());
}

/** Asserts |a - e| <= atol + rtol * |e| elementwise, reporting the worst element. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, rtol = 1e-5, atol = 1e-5): void {
  expect(actual.length, `${what}: length`).to.equal(expected.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (e === a) continue; // infinities
    const excess = Math.abs(a - e) - (atol + rtol * Math.abs(e));
    if (!(excess <= 0) && (worst < 0 || excess > worstExcess || Number.isNaN(excess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    expect.fail(`${what}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} (rtol ${rtol}, atol ${atol})`);
  }
}

/**
 * The central difference (f(x + eps) - f(x - eps)) / 2 eps of `f` with respect to each element of
 * `x`, which `f` reads: each element is moved and put back in place.
 */
export function centralDifferences(x: Float64Array, f: () => number, eps: number): Float64Array {
  const numeric = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const saved = x[i]!;
    x[i] = saved + eps;
    const up = f();
    x[i] = saved - eps;
    const down = f();
    x[i] = saved;
    numeric[i] = (up - down) / (2 * eps);
  }
  return numeric;
}
