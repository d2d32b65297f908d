// The GPU-shaped GEMM forms: typed descriptions from which src/ops/gemm/emit.ts generates WGSL. A form
// says how a workgroup's output tile is owned and how its operands travel; the operand layouts (which
// index of op(A) and op(B) is contiguous in memory) and the epilogue come from the op, so one form
// serves every transposition. A new form is one object here.
//
// - `tiled`: a BM x BN output tile per workgroup, staged through workgroup memory BK k at a time
//   (each stage loaded by all the workgroup's invocations with consecutive lanes on consecutive
//   addresses), TM x TN outputs per invocation owned strided (lane l of a row of lanes takes columns
//   l, l + BN/TN, ...: the shared-memory reads of a warp are conflict-free and its stores coalesce).
// - `ksplit`: for skinny products with a long K (a fully connected layer's forward at a small batch):
//   a small RM x RN output tile per workgroup, its K spread over the workgroup's invocations (lane l
//   takes k = l, l + T, ...: coalesced when k is contiguous), partial sums reduced in workgroup memory.

export interface TiledForm {
  kind: 'tiled';
  /** Output rows and columns per workgroup. */
  bm: number;
  bn: number;
  /** k per stage of workgroup memory. */
  bk: number;
  /** Output rows and columns per invocation. */
  tm: number;
  tn: number;
  /**
   * Workgroup-memory buffers: 1 (load a stage, barrier, multiply, barrier), or 2 (the next stage's
   * global loads are issued into registers before this stage's multiply and stored into the other
   * buffer after it: the loads' latency hides behind the arithmetic, with one barrier per stage).
   */
  stages: 1 | 2;
  /**
   * Words after each k-row of an operand that is contiguous along k, which is transposed on its way
   * into workgroup memory: with rows a multiple of 32 words apart, the lanes storing one column's k
   * would all hit one bank; one word apart spreads them.
   */
  pad: 0 | 1;
  /**
   * How an invocation reads a stage: 'scalar', its rows and columns strided over the tile (row
   * rl + i * BM/TM, column cl + j * BN/TN); or 'vec4', in blocks of 4 consecutive rows and columns
   * (rows 4(rl + i * BM/TM) .. +3), workgroup memory held as vec4s, so each k reads TM/4 + TN/4 vec4s
   * instead of TM + TN floats (the pad is then a whole vec4, and TM and TN multiples of 4).
   */
  reads: 'scalar' | 'vec4';
}

export interface KSplitForm {
  kind: 'ksplit';
  /** Output rows and columns per workgroup. */
  rm: number;
  rn: number;
  /** Invocations per workgroup, a power of two: K is spread over them. */
  threads: number;
}

export type GemmForm = TiledForm | KSplitForm;

/** What a form needs of the device: invocations per workgroup and bytes of workgroup memory. */
export interface FormNeeds {
  invocations: number;
  workgroupBytes: number;
}

export function formNeeds(form: GemmForm): FormNeeds {
  if (form.kind === 'tiled')
    return { invocations: (form.bm / form.tm) * (form.bn / form.tn), workgroupBytes: 4 * form.stages * form.bk * (form.bm + form.bn + 2 * padWords(form)) };
  return { invocations: form.threads, workgroupBytes: 4 * form.threads * form.rm * form.rn };
}

/** Words after each k-row of a padded stage: one float, or one vec4 where the stage is read as vec4s. */
export function padWords(form: TiledForm): number {
  return form.pad * (form.reads === 'vec4' ? 4 : 1);
}

/** The variant name a form goes by in tuning caches and profiles, e.g. `tile64x64k16.4x4` or `ksplit4x4.t256`. */
export function formName(form: GemmForm): string {
  if (form.kind === 'ksplit') return `ksplit${form.rm}x${form.rn}.t${form.threads}`;
  return `tile${form.bm}x${form.bn}k${form.bk}.${form.tm}x${form.tn}${form.stages === 2 ? '.db' : ''}${form.pad ? '' : '.nopad'}${form.reads === 'vec4' ? '.v4' : ''}`;
}

/** Output tiles of an M x N product under `form` (one workgroup each). */
export function formTiles(form: GemmForm, m: number, n: number): number {
  const [rows, cols] = form.kind === 'tiled' ? [form.bm, form.bn] : [form.rm, form.rn];
  return Math.ceil(m / rows) * Math.ceil(n / cols);
}

/** Throws where a form cannot be generated: the tile must split evenly over the invocations. */
export function checkForm(form: GemmForm): void {
  const name = formName(form);
  const positive = (form.kind === 'tiled' ? [form.bm, form.bn, form.bk, form.tm, form.tn] : [form.rm, form.rn, form.threads]).every(
    (v) => Number.isInteger(v) && v > 0,
  );
  if (!positive) throw new Error(`gemm form ${name}: every size must be a positive integer`);
  if (form.kind === 'tiled') {
    if (form.stages !== 1 && form.stages !== 2) throw new Error(`gemm form ${name}: stages must be 1 or 2`);
    if (form.pad !== 0 && form.pad !== 1) throw new Error(`gemm form ${name}: pad must be 0 or 1`);
    if (form.reads === 'vec4' && (form.tm % 4 || form.tn % 4)) throw new Error(`gemm form ${name}: vec4 reads need TM and TN multiples of 4`);
    if (form.bm % form.tm || form.bn % form.tn)
      throw new Error(`gemm form ${name}: the tile ${form.bm}x${form.bn} must split into ${form.tm}x${form.tn} blocks`);
    const { invocations } = formNeeds(form);
    if ((form.bm * form.bk) % invocations || (form.bk * form.bn) % invocations)
      throw new Error(
        `gemm form ${name}: each stage (${form.bm}x${form.bk} of A, ${form.bk}x${form.bn} of B) must split evenly over ${invocations} invocations`,
      );
  } else if (form.threads & (form.threads - 1)) {
    throw new Error(`gemm form ${name}: threads must be a power of two (a tree reduction), got ${form.threads}`);
  }
}

/**
 * The forms offered to tuning on hardware adapters, beside the register-tiled forms of
 * src/ops/gemm-dispatch.ts: large tiles for large products, smaller ones (more workgroups) for the
 * medium shapes of a small net, 128-invocation tiles for adapters limited to 128 (compatibility
 * mode), and the K split for skinny products. The double-buffered 128x128 form goes unpadded: two
 * padded buffers would need 16,448 bytes, past the 16,384 every adapter offers.
 */
export const TILED_FORMS: readonly TiledForm[] = [
  { kind: 'tiled', bm: 128, bn: 128, bk: 8, tm: 8, tn: 8, stages: 1, pad: 1, reads: 'scalar' },
  { kind: 'tiled', bm: 128, bn: 128, bk: 8, tm: 8, tn: 8, stages: 2, pad: 0, reads: 'scalar' },
  { kind: 'tiled', bm: 64, bn: 64, bk: 16, tm: 4, tn: 4, stages: 1, pad: 1, reads: 'scalar' },
  { kind: 'tiled', bm: 64, bn: 64, bk: 8, tm: 4, tn: 4, stages: 2, pad: 1, reads: 'scalar' },
  { kind: 'tiled', bm: 32, bn: 64, bk: 16, tm: 4, tn: 4, stages: 2, pad: 1, reads: 'scalar' },
  { kind: 'tiled', bm: 32, bn: 32, bk: 16, tm: 4, tn: 2, stages: 1, pad: 1, reads: 'scalar' },
  { kind: 'tiled', bm: 128, bn: 128, bk: 8, tm: 8, tn: 8, stages: 2, pad: 0, reads: 'vec4' },
  { kind: 'tiled', bm: 64, bn: 64, bk: 16, tm: 4, tn: 4, stages: 1, pad: 1, reads: 'vec4' },
  { kind: 'tiled', bm: 32, bn: 64, bk: 16, tm: 4, tn: 4, stages: 2, pad: 1, reads: 'vec4' },
];

export const KSPLIT_FORMS: readonly KSplitForm[] = [
  { kind: 'ksplit', rm: 4, rn: 4, threads: 256 },
  { kind: 'ksplit', rm: 2, rn: 4, threads: 128 },
];

/**
 * A K split can pay where the output has few tiles for a GPU's hundreds of cores; a larger output
 * fills them with the tiled forms, and the split's one workgroup per 16 outputs would only add
 * tuning time (and dispatches past the 2-D grid's reach).
 */
export function ksplitWorthOffering(m: number, n: number): boolean {
  return m * n <= 1 << 21;
}
