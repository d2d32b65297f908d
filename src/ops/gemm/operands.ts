// The operands of each op that the GPU-shaped GEMM forms serve (src/ops/gemm/emit.ts): matmul with
// either operand transposed, conv2d's forward pass (the weight times an im2col of the input that is
// never built) and its weight gradient (dy times that im2col, split over the batch's pixels). Each
// declares the op's own bindings and override constants, those of its shader in shaders/.
import convGeometry from '../../../shaders/conv_geometry.wgsl';
import type { GemmOperands } from './emit';

/** How matmul's operands are stored: op(A) transposed means A is [K,M] (m contiguous), op(B) transposed means B is [N,K]. */
export interface GemmLayout {
  transposeA: boolean;
  transposeB: boolean;
}

/** How an operand's elements are stored: f32 words, or f16 two to a word (src/graph/shape.ts). */
export type OperandElement = 'f32' | 'f16';

/** matmul's operand element types; f32 both where not given. */
export interface GemmElements {
  a: OperandElement;
  b: OperandElement;
}

const F32_OPERANDS: GemmElements = { a: 'f32', b: 'f32' };

/**
 * The binding of operand `name` and how element `i` of it is read as f32: a plain load, or for f16
 * the word holding the element unpacked (two lanes reading neighbouring elements read one word).
 */
function operandBinding(name: string, binding: number, element: OperandElement): { declaration: string; at: (i: string) => string } {
  if (element === 'f32') return { declaration: `@group(0) @binding(${binding}) var<storage, read> ${name}: array<f32>;`, at: (i) => `${name}[${i}]` };
  return {
    declaration: `@group(0) @binding(${binding}) var<storage, read> ${name}: array<u32>;
// Element i of the f16 operand ${name}: the low half of word i / 2 for even i, the high half for odd.
fn ${name}At(i: u32) -> f32 {
  let pair = unpack2x16float(${name}[i / 2u]);
  return select(pair.x, pair.y, i % 2u == 1u);
}`,
    at: (i) => `${name}At(${i})`,
  };
}

/** The bias and relu epilogue both matmul and conv2d take: bias[e] where HAS_BIAS (e a column or an output channel), then max(., 0) where RELU. */
const EPILOGUE = `override HAS_BIAS: bool = false;
override RELU: bool = false;

fn finish(v: f32, e: u32) -> f32 {
  var r = v;
  if (HAS_BIAS) { r += bias[e]; }
  if (RELU) { r = max(r, 0.0); }
  return r;
}
`;

/** shaders/matmul.wgsl's bindings and constants; the layout is fixed in the code (TRANS_A and TRANS_B are set, unused). */
export function matmulOperands(layout: GemmLayout, elements: GemmElements = F32_OPERANDS): GemmOperands {
  const a = operandBinding('a', 0, elements.a);
  const b = operandBinding('b', 1, elements.b);
  return {
    what: `matmul, A stored ${layout.transposeA ? '[K,M]' : '[M,K]'} ${elements.a}, B stored ${layout.transposeB ? '[N,K]' : '[K,N]'} ${elements.b}`,
    declarations: `override M: u32;
override N: u32;
override K: u32;
override TRANS_A: bool = false;
override TRANS_B: bool = false;
override WG: u32 = 64u;

${a.declaration}
${b.declaration}
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
// [N]; without a bias, b is bound here again and never read.
@group(0) @binding(3) var<storage, read> bias: array<f32>;
${EPILOGUE}`,
    M: 'M',
    N: 'N',
    K: 'K',
    a: (m, k) => a.at(layout.transposeA ? `(${k}) * M + (${m})` : `(${m}) * K + (${k})`),
    b: (k, n) => b.at(layout.transposeB ? `(${n}) * K + (${k})` : `(${k}) * N + (${n})`),
    aContiguous: layout.transposeA ? 'm' : 'k',
    bContiguous: layout.transposeB ? 'k' : 'n',
    store: (m, n, v) => `c[(${m}) * N + (${n})] = finish(${v}, ${n});`,
  };
}

/**
 * x[n, ci, oh*SH - PH + kh*DH, ow*SW - PW + kw*DW] for tap t = (ci, kh, kw) and output pixel
 * p = (n, oh, ow): the im2col element, zero in the padding (without padding every tap is inside).
 */
const IM2COL = `
fn im2col(t: u32, p: u32) -> f32 {
  let n = p / (OH * OW);
  let r = p % (OH * OW);
  let ci = t / (KH * KW);
  let kk = t % (KH * KW);
  let ih = i32((r / OW) * SH + (kk / KW) * DH) - i32(PH);
  let iw = i32((r % OW) * SW + (kk % KW) * DW) - i32(PW);
  if (PADDED && (ih < 0 || iw < 0 || ih >= i32(H) || iw >= i32(W))) { return 0.0; }
  return x[((n * C + ci) * H + u32(ih)) * W + u32(iw)];
}
`;

/** shaders/conv2d.wgsl's: out[n, co, oh, ow] = sum over taps of weight[co, tap] * im2col(tap, pixel), plus bias[co], then relu. */
export function convForwardOperands(): GemmOperands {
  return {
    what: 'conv2d forward, rows = output channels, columns = output pixels (n, oh, ow)',
    declarations: `${convGeometry}
override PADDED: bool = false;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
${IM2COL}${EPILOGUE}`,
    M: 'CO',
    N: '(B * OH * OW)',
    K: '(C * KH * KW)',
    a: (m, k) => `a[(${m}) * (C * KH * KW) + (${k})]`,
    b: (k, n) => `im2col(${k}, ${n})`,
    aContiguous: 'k',
    bContiguous: 'n',
    store: (m, n, v) => `out[(((${n}) / (OH * OW)) * CO + (${m})) * (OH * OW) + (${n}) % (OH * OW)] = finish(${v}, ${m});`,
  };
}

/**
 * shaders/conv2d_input_grad.wgsl's: dx[n, ci, ih, iw] = sum over k = (kh, kw, co) of the channel-last
 * weight [C, KH, KW, CO] times dy[n, co, oh, ow], for the taps whose (ih + PH - kh*DH) / SH (and
 * likewise for the width) is exact and inside dy; zero for the others.
 */
export function inputGradOperands(): GemmOperands {
  return {
    what: 'conv2d input gradient, rows = input channels, columns = input pixels (n, ih, iw), K = taps x output channels',
    declarations: `${convGeometry}
@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

fn dyTap(k: u32, p: u32) -> f32 {
  let n = p / (H * W);
  let r = p % (H * W);
  let co = k % CO;
  let tap = k / CO;
  let th = i32(r / W + PH) - i32((tap / KW) * DH);
  let tw = i32(r % W + PW) - i32((tap % KW) * DW);
  if (th < 0 || tw < 0 || th % i32(SH) != 0 || tw % i32(SW) != 0) { return 0.0; }
  let oh = u32(th) / SH;
  let ow = u32(tw) / SW;
  if (oh >= OH || ow >= OW) { return 0.0; }
  return dy[((n * CO + co) * OH + oh) * OW + ow];
}
`,
    M: 'C',
    N: '(B * H * W)',
    K: '(KH * KW * CO)',
    a: (m, k) => `a[(${m}) * (KH * KW * CO) + (${k})]`,
    b: (k, n) => `dyTap(${k}, ${n})`,
    aContiguous: 'k',
    bContiguous: 'n',
    store: (m, n, v) => `out[(((${n}) / (H * W)) * C + (${m})) * (H * W) + (${n}) % (H * W)] = ${v};`,
  };
}

/**
 * shaders/conv2d_weight_grad.wgsl's: partials[s, co, tap] = sum over the pixels p of range s of
 * dy[n, co, oh, ow] * im2col(tap, p), every one of the SPLITS slabs written (RANGES is set, unused).
 */
export function weightGradOperands(): GemmOperands {
  return {
    what: 'conv2d weight gradient, rows = output channels, columns = taps (ci, kh, kw), K = output pixels in SPLITS ranges',
    declarations: `${convGeometry}
override PADDED: bool = false;
override SPLITS: u32 = 1u;
override RANGES: u32 = 1u;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
${IM2COL}
// Pixels per range, as src/ops/conv2d-weight-grad.ts's rangeLength(): an even share rounded up to a multiple of 4.
fn rangeLength() -> u32 {
  return (((B * OH * OW + SPLITS - 1u) / SPLITS + 3u) / 4u) * 4u;
}
`,
    M: 'CO',
    N: '(C * KH * KW)',
    K: '(B * OH * OW)',
    a: (m, k) => `a[(((${k}) / (OH * OW)) * CO + (${m})) * (OH * OW) + (${k}) % (OH * OW)]`,
    b: (k, n) => `im2col(${n}, ${k})`,
    aContiguous: 'k',
    bContiguous: 'k',
    store: (m, n, v, slab) => `out[((${slab}) * CO + (${m})) * (C * KH * KW) + (${n})] = ${v};`,
    slabs: { count: 'SPLITS', chunk: 'rangeLength()' },
  };
}
