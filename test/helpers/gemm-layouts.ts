// The four ways matmul's operands can be stored (either one transposed in place), for tests that run every layout.
export const LAYOUTS = [
  { transposeA: false, transposeB: false },
  { transposeA: true, transposeB: false },
  { transposeA: false, transposeB: true },
  { transposeA: true, transposeB: true },
] as const;

export type Layout = (typeof LAYOUTS)[number];

/** `axb`, `aTxb`, `axbT` or `aTxbT`. */
export const layoutName = (l: Layout): string => `${l.transposeA ? 'aT' : 'a'}x${l.transposeB ? 'bT' : 'b'}`;
