// Generates the WGSL of a GPU-shaped GEMM form (src/ops/gemm/forms.ts) for one kernel's operands:
// C[M,N] = op(A)[M,K] · op(B)[K,N], where a GemmOperands object says how the kernel reads op(A) and
// op(B) (a plain load, or a gather such as a convolution's im2col), which index of each is
// contiguous in memory, and how a finished value is stored (with its epilogue). The operands come
// from the op (src/ops/gemm/operands.ts): the generated module has the op's bindings and override
// constants, so any form is a drop-in variant of the op's call.
//
// Per-invocation registers are scalars named by their row and column (acc_i_j), every loop over them
// unrolled here, so the WGSL compiler sees no dynamically indexed array. Loads past an edge of op(A)
// or op(B) read zero; stores past an edge of C are skipped; no index ever leaves its binding.
import { checkForm, formNeeds, padWords, type GemmForm, type KSplitForm, type TiledForm } from './forms';

/** How a kernel's GEMM reads its operands and stores its result, in WGSL. */
export interface GemmOperands {
  /** What the module computes, for its header comment. */
  what: string;
  /** Overrides, bindings and helper functions: the op's own, so the form runs on the op's call. */
  declarations: string;
  /** The product's sizes, as WGSL u32 expressions of the declarations. */
  M: string;
  N: string;
  K: string;
  /** op(A)[m, k] and op(B)[k, n] as WGSL f32 expressions, for m < M, k < K and n < N. */
  a(m: string, k: string): string;
  b(k: string, n: string): string;
  /** The index of each operand that is contiguous in memory: a stage's loads walk it across lanes. */
  aContiguous: 'm' | 'k';
  bContiguous: 'k' | 'n';
  /** A WGSL statement storing the accumulated `v` at (m, n) of slab `slab`, its epilogue included. */
  store(m: string, n: string, v: string, slab: string): string;
  /**
   * K cut into `count` slabs, each reduced into its own slab of the output (a split-K whose partials
   * the op sums after): slab s takes k in [s * chunk, min((s + 1) * chunk, K)). One slab otherwise.
   */
  slabs?: { count: string; chunk: string };
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const u = (n: number) => `${n}u`;

/** The WGSL module of `form` over `operands`. */
export function emitGemm(form: GemmForm, operands: GemmOperands): string {
  checkForm(form);
  return form.kind === 'tiled' ? emitTiled(form, operands) : emitKSplit(form, operands);
}

/** The common start of main(): which output tile and slab this workgroup owns, and its k range; returns early past the last tile. */
function tileOfWorkgroup(op: GemmOperands, rows: number, cols: number): string {
  const slabs = op.slabs;
  return `  let colTiles = (${op.N} + ${u(cols - 1)}) / ${u(cols)};
  let tilesPerSlab = ((${op.M} + ${u(rows - 1)}) / ${u(rows)}) * colTiles;
  // One output tile per workgroup; dispatches wider than 65,535 workgroups spread over x and y.
  let flat = wid.x + wid.y * groups.x;
  if (flat >= tilesPerSlab * ${slabs ? `(${slabs.count})` : '1u'}) { return; }
  let slab = flat / tilesPerSlab;
  let tile = flat % tilesPerSlab;
  let row0 = (tile / colTiles) * ${u(rows)};
  let col0 = (tile % colTiles) * ${u(cols)};
  let kBegin = ${slabs ? `min(slab * (${slabs.chunk}), ${op.K})` : '0u'};
  let kEnd = ${slabs ? `min(kBegin + (${slabs.chunk}), ${op.K})` : op.K};`;
}

const entry = (threads: number) => `@compute @workgroup_size(${threads})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32) {`;

/** How one operand travels into workgroup memory, a stage (BK k) at a time. */
interface Staging {
  /** Function-scope registers holding a stage between its global loads and its stores. */
  declare: string[];
  /** Statements loading the stage that starts at k = `start` into the registers. */
  fetch(start: string): string[];
  /** Statements storing the registers into workgroup memory from word `base` on. */
  store(base: string): string[];
  /** Words between consecutive k-rows of a stage in workgroup memory. */
  stride: number;
  /** Words of one stage. */
  words: number;
}

/**
 * The stage loads of an operand into workgroup memory `target`, laid out [BK][stride]: `o` is the
 * operand's row of op(A) or column of op(B) within the tile, `k` its k within the stage. Element
 * i = lid + j * threads of the block is walked so that consecutive lanes take consecutive addresses
 * of the operand as stored: k fastest where k is contiguous, else o. Past an edge (`inside` false,
 * or k past the range) the stage holds zero.
 */
function staging(
  registers: string,
  target: string,
  width: number,
  form: TiledForm,
  threads: number,
  kContiguous: boolean,
  inside: string,
  load: (k: string) => string,
): Staging {
  const { bk } = form;
  const stride = width + (kContiguous ? padWords(form) : 0);
  const [o, k] = kContiguous ? [`i / ${u(bk)}`, `i % ${u(bk)}`] : [`i % ${u(width)}`, `i / ${u(width)}`];
  const loads = range((width * bk) / threads);
  const element = (j: number) => `let i = lid + ${u(j * threads)}; let o = ${o}; let k = ${k};`;
  return {
    declare: loads.map((j) => `  var ${registers}${j} = 0.0;`),
    fetch: (start) =>
      loads.map((j) => `    { ${element(j)} ${registers}${j} = 0.0; if (${inside} && ${start} + k < kEnd) { ${registers}${j} = ${load(`${start} + k`)}; } }`),
    store: (base) =>
      loads.map((j) =>
        // A stage held as vec4s takes its floats one component at a time.
        form.reads === 'vec4'
          ? `    { ${element(j)} let w = ${base} + k * ${u(stride)} + o; ${target}[w / 4u][w % 4u] = ${registers}${j}; }`
          : `    { ${element(j)} ${target}[${base} + k * ${u(stride)} + o] = ${registers}${j}; }`,
      ),
    stride,
    words: bk * stride,
  };
}

function emitTiled(form: TiledForm, op: GemmOperands): string {
  const { bm, bn, bk, tm, tn, stages } = form;
  const threads = formNeeds(form).invocations;
  const colLanes = bn / tn;
  const rowLanes = bm / tm;
  const a = staging('sa', 'As', bm, form, threads, op.aContiguous === 'k', `row0 + o < ${op.M}`, (k) => op.a('row0 + o', k));
  const b = staging('sb', 'Bs', bn, form, threads, op.bContiguous === 'k', `col0 + o < ${op.N}`, (k) => op.b(k, 'col0 + o'));
  const acc = (i: number, j: number) => `acc_${i}_${j}`;
  const declare = range(tm).flatMap((i) => range(tn).map((j) => `  var ${acc(i, j)} = 0.0;`));
  const vec4 = form.reads === 'vec4';
  /** Row i and column j of this invocation's block, within the tile (see TiledForm.reads). */
  const rowOf = (i: number) => (vec4 ? `(rl + ${u((i >> 2) * rowLanes)}) * 4u + ${u(i & 3)}` : `rl + ${u(i * rowLanes)}`);
  const colOf = (j: number) => (vec4 ? `(cl + ${u((j >> 2) * colLanes)}) * 4u + ${u(j & 3)}` : `cl + ${u(j * colLanes)}`);
  const lane = ['x', 'y', 'z', 'w'];
  /** The stage in buffer `buffer` (a u32 expression) multiplied into the registers. */
  const multiply = (buffer: string) => {
    const base = (s: Staging) => (buffer === '0u' ? '' : `${buffer} * ${u(s.words)} + `);
    const reads = vec4
      ? [
          ...range(tm / 4).map((i) => `      let a${i} = As[(${base(a)}kk * ${u(a.stride)}) / 4u + rl + ${u(i * rowLanes)}];`),
          ...range(tn / 4).map((j) => `      let b${j} = Bs[(${base(b)}kk * ${u(b.stride)}) / 4u + cl + ${u(j * colLanes)}];`),
        ]
      : [
          ...range(tm).map((i) => `      let a${i} = As[${base(a)}kk * ${u(a.stride)} + rl + ${u(i * rowLanes)}];`),
          ...range(tn).map((j) => `      let b${j} = Bs[${base(b)}kk * ${u(b.stride)} + cl + ${u(j * colLanes)}];`),
        ];
    const av = (i: number) => (vec4 ? `a${i >> 2}.${lane[i & 3]}` : `a${i}`);
    const bv = (j: number) => (vec4 ? `b${j >> 2}.${lane[j & 3]}` : `b${j}`);
    const fma = range(tm).flatMap((i) => range(tn).map((j) => `      ${acc(i, j)} = fma(${av(i)}, ${bv(j)}, ${acc(i, j)});`));
    return `    for (var kk = 0u; kk < ${u(bk)}; kk++) {
${reads.join('\n')}
${fma.join('\n')}
    }`;
  };
  const fetch = (start: string) => [...a.fetch(start), ...b.fetch(start)].join('\n');
  const at = (buffer: string, s: Staging) => (buffer === '0u' ? '0u' : `${buffer} * ${u(s.words)}`);
  const store = (buffer: string) => [...a.store(at(buffer, a)), ...b.store(at(buffer, b))].join('\n');
  const loop =
    stages === 1
      ? `  for (var k0 = kBegin; k0 < kEnd; k0 += ${u(bk)}) {
${fetch('k0')}
${store('0u')}
    workgroupBarrier();
${multiply('0u')}
    workgroupBarrier();
  }`
      : `  // Stage s + 1 is loaded into registers while stage s is multiplied, then stored into the other buffer.
${fetch('kBegin')}
${store('0u')}
  workgroupBarrier();
  var buffer = 0u;
  for (var k0 = kBegin; k0 < kEnd; k0 += ${u(bk)}) {
${fetch(`(k0 + ${u(bk)})`)}
${multiply('buffer')}
${store('(1u - buffer)')}
    workgroupBarrier();
    buffer = 1u - buffer;
  }`;
  const stores = range(tm).flatMap((i) =>
    range(tn).map(
      (j) => `  { let r = row0 + ${rowOf(i)}; let col = col0 + ${colOf(j)}; if (r < ${op.M} && col < ${op.N}) { ${op.store('r', 'col', acc(i, j), 'slab')} } }`,
    ),
  );
  return `// Generated by src/ops/gemm/emit.ts: ${op.what}, form tiled ${bm}x${bn}, BK ${bk}, ${tm}x${tn} per invocation, ${threads} invocations, ${stages} buffer${stages === 1 ? '' : 's'}, ${form.reads} reads.
${op.declarations}
var<workgroup> As: array<${vec4 ? 'vec4<f32>' : 'f32'}, ${(stages * a.words) / (vec4 ? 4 : 1)}>;
var<workgroup> Bs: array<${vec4 ? 'vec4<f32>' : 'f32'}, ${(stages * b.words) / (vec4 ? 4 : 1)}>;

${entry(threads)}
${tileOfWorkgroup(op, bm, bn)}
  // This invocation's rows and columns of the tile: ${vec4 ? `blocks of 4 from 4(rl + ${rowLanes}i) and 4(cl + ${colLanes}j)` : `rl + ${rowLanes}i and cl + ${colLanes}j`}.
  let rl = lid / ${u(colLanes)};
  let cl = lid % ${u(colLanes)};
${declare.join('\n')}
${[...a.declare, ...b.declare].join('\n')}
${loop}
${stores.join('\n')}
}
`;
}

function emitKSplit(form: KSplitForm, op: GemmOperands): string {
  const { rm, rn, threads } = form;
  const outputs = rm * rn;
  const acc = (o: number) => `acc${o}`;
  const declare = range(outputs).map((o) => `  var ${acc(o)} = 0.0;`);
  // Rows and columns clamped to the last once (their duplicates are never stored), so the loop needs no checks.
  const rows = range(rm).map((i) => `  let r${i} = min(row0 + ${u(i)}, ${op.M} - 1u);`);
  const cols = range(rn).map((j) => `  let n${j} = min(col0 + ${u(j)}, ${op.N} - 1u);`);
  const loadA = range(rm).map((i) => `    let a${i} = ${op.a(`r${i}`, 'k')};`);
  const loadB = range(rn).map((j) => `    let b${j} = ${op.b('k', `n${j}`)};`);
  const fma = range(outputs).map((o) => `    ${acc(o)} = fma(a${Math.floor(o / rn)}, b${o % rn}, ${acc(o)});`);
  const park = range(outputs).map((o) => `  partial[${u(o * threads)} + lid] = ${acc(o)};`);
  const reduce = range(outputs).map((o) => `      partial[${u(o * threads)} + lid] += partial[${u(o * threads)} + lid + s];`);
  return `// Generated by src/ops/gemm/emit.ts: ${op.what}, form ksplit: a ${rm}x${rn} output tile per workgroup, K over ${threads} invocations.
${op.declarations}
var<workgroup> partial: array<f32, ${outputs * threads}>;

${entry(threads)}
${tileOfWorkgroup(op, rm, rn)}
${rows.join('\n')}
${cols.join('\n')}
${declare.join('\n')}
  for (var k = kBegin + lid; k < kEnd; k += ${u(threads)}) {
${loadA.join('\n')}
${loadB.join('\n')}
${fma.join('\n')}
  }
${park.join('\n')}
  workgroupBarrier();
  for (var s = ${u(threads / 2)}; s > 0u; s = s >> 1u) {
    if (lid < s) {
${reduce.join('\n')}
    }
    workgroupBarrier();
  }
  if (lid < ${u(outputs)}) {
    let r = row0 + lid / ${u(rn)};
    let col = col0 + lid % ${u(rn)};
    let v = partial[lid * ${u(threads)}];
    if (r < ${op.M} && col < ${op.N}) { ${op.store('r', 'col', 'v', 'slab')} }
  }
}
`;
}
