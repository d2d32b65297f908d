// A drawn digit turned into an MNIST-style 28x28 image, the way the MNIST images were made: the
// bounding box of the ink is scaled (keeping its aspect ratio, with area averaging) so that its longer
// side is 20 pixels, then placed in the 28x28 field so that its centre of mass falls on pixel (14, 14)
// (measured on the MNIST test set: the mean centre of mass is (14.00, 13.99) in pixel indices).
// Pure arithmetic on grey levels, no DOM, so it does the same for a drawing and for a test hook.

/** Grey levels in [0, 1], row-major: 0 is the black background, 1 full ink. */
export interface InkImage {
  width: number;
  height: number;
  ink: Float32Array;
}

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export const MNIST_SIDE = 28;
/** The longer side of the digit's box in MNIST. */
export const DIGIT_SIDE = 20;
/** Below this, a pixel is background for the bounding box (anti-aliased stroke edges are fainter). */
export const INK_THRESHOLD = 0.1;

/** The smallest box holding every pixel above the threshold; null when nothing is drawn. */
export function inkBox(image: InkImage, threshold = INK_THRESHOLD): Box | null {
  let x0 = image.width,
    y0 = image.height,
    x1 = -1,
    y1 = -1;
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      if (image.ink[y * image.width + x]! > threshold) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  return x1 < 0 ? null : { x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1 };
}

/**
 * For each of `out` destination pixels over source pixels [start, start + length): the source pixels
 * it covers and the fraction of it each one covers (the weights sum to 1: an area average).
 */
function coverage(start: number, length: number, out: number): { first: number; weights: number[] }[] {
  const step = length / out;
  return Array.from({ length: out }, (_, d) => {
    const lo = start + d * step;
    // Clamped to the box: rounding must never reach a pixel past its edge.
    const hi = Math.min(lo + step, start + length);
    const first = Math.floor(lo);
    const weights: number[] = [];
    for (let k = first; k < hi; k++) weights.push((Math.min(k + 1, hi) - Math.max(k, lo)) / step);
    return { first, weights };
  });
}

/** The box of `image` resampled to outW x outH by area averaging (separable: rows, then columns). */
export function areaResample(image: InkImage, box: Box, outW: number, outH: number): Float32Array {
  const cols = coverage(box.x, box.w, outW);
  const rows = coverage(box.y, box.h, outH);
  const across = new Float32Array(box.h * outW);
  for (let y = 0; y < box.h; y++) {
    const row = (box.y + y) * image.width;
    cols.forEach(({ first, weights }, d) => {
      let sum = 0;
      weights.forEach((w, i) => (sum += w * image.ink[row + first + i]!));
      across[y * outW + d] = sum;
    });
  }
  const out = new Float32Array(outW * outH);
  rows.forEach(({ first, weights }, d) => {
    for (let x = 0; x < outW; x++) {
      let sum = 0;
      weights.forEach((w, i) => (sum += w * across[(first - box.y + i) * outW + x]!));
      out[d * outW + x] = sum;
    }
  });
  return out;
}

/** A small w x h image placed in the 28x28 field with its centre of mass on pixel (14, 14), kept inside. */
export function centreByMass(small: Float32Array, w: number, h: number): Float32Array {
  let mass = 0,
    mx = 0,
    my = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = small[y * w + x]!;
      mass += v;
      mx += v * x;
      my += v * y;
    }
  }
  const clamp = (v: number, hi: number): number => Math.min(Math.max(v, 0), hi);
  const ox = clamp(Math.round(MNIST_SIDE / 2 - (mass > 0 ? mx / mass : (w - 1) / 2)), MNIST_SIDE - w);
  const oy = clamp(Math.round(MNIST_SIDE / 2 - (mass > 0 ? my / mass : (h - 1) / 2)), MNIST_SIDE - h);
  const out = new Float32Array(MNIST_SIDE * MNIST_SIDE);
  for (let y = 0; y < h; y++) out.set(small.subarray(y * w, (y + 1) * w), (oy + y) * MNIST_SIDE + ox);
  return out;
}

/** The drawing as MNIST would have stored it: 784 grey levels in [0, 1]; null when nothing is drawn. */
export function mnistStyle(image: InkImage): Float32Array | null {
  const box = inkBox(image);
  if (!box) return null;
  const scale = DIGIT_SIDE / Math.max(box.w, box.h);
  const w = Math.max(1, Math.round(box.w * scale));
  const h = Math.max(1, Math.round(box.h * scale));
  return centreByMass(areaResample(image, box, w, h), w, h);
}
