// IEEE 754 binary16 on the host, which JavaScript (before Float16Array) lacks: rounding a number to
// the nearest f16 (the CPU reference of a cast to f16) and decoding f16 words read back from the GPU.

/**
 * `x` rounded to the nearest f16 value, ties to even; past the largest finite f16 (from 65520 on,
 * where rounding carries into the exponent) it becomes an infinity. NaN and infinities stay.
 */
export function roundToF16(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const magnitude = Math.abs(x);
  if (magnitude >= 65520) return Math.sign(x) * Infinity;
  // The binade of x; below 2^-14 the subnormals share its spacing.
  let e = Math.floor(Math.log2(magnitude));
  if (2 ** e > magnitude) e--;
  else if (2 ** (e + 1) <= magnitude) e++;
  const spacing = 2 ** (Math.max(e, -14) - 10);
  const q = magnitude / spacing; // exact: a power-of-two scaling
  let whole = Math.floor(q);
  const rest = q - whole;
  if (rest > 0.5 || (rest === 0.5 && whole % 2 === 1)) whole++;
  return Math.sign(x) * whole * spacing;
}

/** The value of f16 bits `h` (the low 16 bits of a number). */
export function f16FromBits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** `size` f16 values from GPU bytes (two per little-endian 32-bit word, element 2i in the low half), as f32. */
export function decodeF16(bytes: ArrayBuffer, size: number): Float32Array {
  const halves = new Uint16Array(bytes, 0, size);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = f16FromBits(halves[i]!);
  return out;
}
