// Fused scaled dot-product attention: softmax(q kᵀ · scale [+ causal mask]) v for q [..., T, D],
// k [..., S, D] and v [..., S, Dv] with the same batch axes, without storing the [T, S] scores. The
// forward keeps an online softmax per query row (shaders/attention.wgsl); the backward recomputes
// the scores: each query row's log-sum-exp (attention_lse), then dq per query row and dk, dv per key
// row (attention_grad_q/k/v), with delta_i = dO_i · out_i, a row sum of graph ops. Every kernel gives
// one invocation one row and loops over the other axis; no atomics. Dropout on the weights is a mask
// each kernel regenerates from its key and step (shaders/attention_dropout.wgsl), the one the dropout
// op would draw over the [..., T, S] weights. src/ops/attention.ts picks this form where it applies.
import dropoutSource from '../../shaders/attention_dropout.wgsl';
import noDropoutSource from '../../shaders/attention_no_dropout.wgsl';
import scores from '../../shaders/attention_scores.wgsl';
import philox from '../../shaders/philox.wgsl';
import forwardSource from '../../shaders/attention.wgsl';
import lseSource from '../../shaders/attention_lse.wgsl';
import gradQKSource from '../../shaders/attention_grad_qk.wgsl';
import gradVSource from '../../shaders/attention_grad_v.wgsl';
import { fmt, sameShape, ShapeError, sizeOf, type Shape } from '../graph/shape';
import type { Tensor } from '../graph/tensor';
import { philox4x32 } from '../random/philox';
import { checkDropoutMask, dropoutParams, dropoutScale, dropoutThreshold, type DropoutMask } from './dropout';
import { mul } from './mul';
import { defineOp, dispatch1d, type CpuTensor, type KernelCall, type OpDef, type TensorMeta } from './op';
import { sum } from './sum';

export interface FlashAttentionAttrs {
  causal: boolean;
  scale: number;
  /** Dropout on the weights, the dropout op's mask; its step is the op's last input. Absent: no dropout (and no step input). */
  dropout?: DropoutMask;
}

interface Geometry {
  bh: number;
  t: number;
  s: number;
  d: number;
  dv: number;
}

/** The batch size, query and key counts and widths of q, k and v, checked. */
function geometry(op: string, q: TensorMeta, k: TensorMeta, v: TensorMeta): Geometry {
  for (const [what, x] of [
    ['q', q],
    ['k', k],
    ['v', v],
  ] as const) {
    if (x.dtype !== 'f32' || x.shape.length < 2) throw new ShapeError(`${op}: ${what} must be f32 of rank 2 or more, got ${x.dtype}${fmt(x.shape)}`);
  }
  const batch = q.shape.slice(0, -2);
  if (!sameShape(k.shape.slice(0, -2), batch) || !sameShape(v.shape.slice(0, -2), batch)) {
    throw new ShapeError(`${op}: q ${fmt(q.shape)}, k ${fmt(k.shape)} and v ${fmt(v.shape)} must share their batch axes`);
  }
  const [t, d] = q.shape.slice(-2) as [number, number];
  const [s, dk] = k.shape.slice(-2) as [number, number];
  const [sv, dv] = v.shape.slice(-2) as [number, number];
  if (dk !== d) throw new ShapeError(`${op}: queries have width ${d} but keys ${dk}`);
  if (sv !== s) throw new ShapeError(`${op}: ${s} keys but ${sv} values`);
  return { bh: sizeOf(batch), t, s, d, dv };
}

/** A kernel's WGSL: its source, the shared geometry and scores, and the weights' mask (its bindings numbered). */
function code(source: string, mask: { step: number; params: number } | null): string {
  if (!mask) return `${source}\n${scores}\n${noDropoutSource}`;
  const bindings = dropoutSource.replace('STEP_BINDING', String(mask.step)).replace('PARAMS_BINDING', String(mask.params));
  return `${philox}\n${source}\n${scores}\n${bindings}`;
}

/**
 * One kernel over `inputs` data inputs (then the output); with dropout it also binds the step (the
 * node's input `inputs`) and the mask's parameters.
 */
function call(label: string, source: string, g: Geometry, attrs: FlashAttentionAttrs, inputs: number, rows: number, entryPoint = 'main'): KernelCall {
  const dropout = attrs.dropout;
  return {
    label,
    code: code(source, dropout ? { step: inputs + 1, params: inputs + 2 } : null),
    entryPoint,
    constants: { BH: g.bh, T: g.t, S: g.s, D: g.d, DV: g.dv, SCALE: attrs.scale, CAUSAL: attrs.causal ? 1 : 0 },
    bindings: [
      ...Array.from({ length: inputs }, (_, i) => ({ input: i })),
      { output: true },
      ...(dropout ? [{ input: inputs }, { uniform: dropoutParams(dropout) }] : []),
    ],
    workgroups: dispatch1d(rows),
  };
}

/** The CPU form of weight_mask: 0 or 1 / (1 - p) for weight (i, j) of batch b, at the step `step` holds. */
function cpuWeightMask(g: Geometry, attrs: FlashAttentionAttrs, step: CpuTensor | undefined): (b: number, i: number, j: number) => number {
  const dropout = attrs.dropout;
  if (!dropout) return () => 1;
  if (!step) throw new Error('internal: fused attention with dropout has no step input');
  const [threshold, scale, stepWord] = [dropoutThreshold(dropout.p), dropoutScale(dropout.p), step.data[0]! >>> 0];
  const block = new Uint32Array(4);
  return (b, i, j) => {
    const e = (b * g.t + i) * g.s + j;
    philox4x32([Math.floor(e / 4), stepWord, 0, 0], [dropout.key0, dropout.key1], block);
    return dropout.p === 1 || block[e % 4]! < threshold ? 0 : scale;
  };
}

/** Float64 scores of query row i of batch b, over the keys it sees. */
function cpuScores(q: CpuTensor, k: CpuTensor, g: Geometry, a: FlashAttentionAttrs, b: number, i: number): Float64Array {
  const seen = a.causal ? Math.min(g.s, i + 1) : g.s;
  const out = new Float64Array(seen);
  for (let j = 0; j < seen; j++) {
    let s = 0;
    for (let d = 0; d < g.d; d++) s += q.data[(b * g.t + i) * g.d + d]! * k.data[(b * g.s + j) * g.d + d]!;
    out[j] = s * a.scale;
  }
  return out;
}

const logSumExp = (s: Float64Array): number => {
  const m = Math.max(...s);
  return m + Math.log(s.reduce((acc, x) => acc + Math.exp(x - m), 0));
};

/** Visits every (batch, query row, key, softmax weight) of the attention, in float64, weights from lse when given. */
function forEachWeight(
  q: CpuTensor,
  k: CpuTensor,
  g: Geometry,
  a: FlashAttentionAttrs,
  lse: CpuTensor | null,
  visit: (b: number, i: number, j: number, p: number) => void,
): void {
  for (let b = 0; b < g.bh; b++) {
    for (let i = 0; i < g.t; i++) {
      const s = cpuScores(q, k, g, a, b, i);
      const l = lse ? lse.data[b * g.t + i]! : logSumExp(s);
      s.forEach((x, j) => visit(b, i, j, Math.exp(x - l)));
    }
  }
}

const dot = (a: Float64Array, ai: number, b: Float64Array, bi: number, n: number): number => {
  let s = 0;
  for (let d = 0; d < n; d++) s += a[ai + d]! * b[bi + d]!;
  return s;
};

export const attentionLseOp: OpDef<FlashAttentionAttrs> = defineOp<FlashAttentionAttrs>({
  name: 'attention_lse',
  infer([q, k]) {
    geometry('attention_lse', q!, k!, k!);
    return { shape: q!.shape.slice(0, -1), dtype: 'f32' };
  },
  lower(node, attrs) {
    const [q, k] = node.inputs;
    const g = geometry('attention_lse', q!, k!, k!);
    return [call('attention_lse', lseSource, g, attrs, 2, g.bh * g.t)];
  },
  cpu([q, k], attrs, out) {
    const g = geometry('attention_lse', q!, k!, k!);
    const data = new Float64Array(g.bh * g.t);
    for (let b = 0; b < g.bh; b++) for (let i = 0; i < g.t; i++) data[b * g.t + i] = logSumExp(cpuScores(q!, k!, g, attrs, b, i));
    return { shape: out.shape, dtype: 'f32', data };
  },
});

/**
 * dq (for: 'q', a query row per invocation) or dk (for: 'k', a key row per invocation) from inputs
 * q, k, v, dO, lse, delta: one entry point each of shaders/attention_grad_qk.wgsl.
 */
function scoreGradOp(name: string, wrt: 'q' | 'k'): OpDef<FlashAttentionAttrs> {
  return defineOp<FlashAttentionAttrs>({
    name,
    infer([q, k, v]) {
      geometry(name, q!, k!, v!);
      return { shape: (wrt === 'q' ? q : k)!.shape, dtype: 'f32' };
    },
    lower(node, attrs) {
      const [q, k, v] = node.inputs;
      const g = geometry(name, q!, k!, v!);
      return [call(name, gradQKSource, g, attrs, 6, g.bh * (wrt === 'q' ? g.t : g.s), wrt === 'q' ? 'query_rows' : 'key_rows')];
    },
    cpu([q, k, v, dO, lse, delta, step], attrs, out) {
      const g = geometry(name, q!, k!, v!);
      const data = new Float64Array(sizeOf(out.shape));
      const mask = cpuWeightMask(g, attrs, step);
      forEachWeight(q!, k!, g, attrs, lse!, (b, i, j, p) => {
        const [qRow, kRow] = [b * g.t + i, b * g.s + j];
        const ds = attrs.scale * p * (mask(b, i, j) * dot(dO!.data, qRow * g.dv, v!.data, kRow * g.dv, g.dv) - delta!.data[qRow]!);
        // dq_i gathers ds_ij k_j; dk_j gathers ds_ij q_i.
        const [to, from, other] = wrt === 'q' ? [qRow, kRow, k!] : [kRow, qRow, q!];
        for (let d = 0; d < g.d; d++) data[to * g.d + d] += ds * other.data[from * g.d + d]!;
      });
      return { shape: out.shape, dtype: 'f32', data };
    },
  });
}

export const attentionGradQOp = scoreGradOp('attention_grad_q', 'q');
export const attentionGradKOp = scoreGradOp('attention_grad_k', 'k');

/** Inputs q, k, dO, lse (and the step, with dropout), and v's shape in the attributes: dv. */
export const attentionGradVOp: OpDef<FlashAttentionAttrs & { valueShape: Shape }> = defineOp<FlashAttentionAttrs & { valueShape: Shape }>({
  name: 'attention_grad_v',
  infer([q, k], attrs) {
    geometry('attention_grad_v', q!, k!, { shape: attrs.valueShape, dtype: 'f32' });
    return { shape: attrs.valueShape, dtype: 'f32' };
  },
  lower(node, attrs) {
    const [q, k] = node.inputs;
    const g = geometry('attention_grad_v', q!, k!, node);
    return [call('attention_grad_v', gradVSource, g, attrs, 4, g.bh * g.s)];
  },
  cpu([q, k, dO, lse, step], attrs, out) {
    const g = geometry('attention_grad_v', q!, k!, out);
    const data = new Float64Array(sizeOf(attrs.valueShape));
    const mask = cpuWeightMask(g, attrs, step);
    forEachWeight(q!, k!, g, attrs, lse!, (b, i, j, p) => {
      const weight = p * mask(b, i, j);
      for (let d = 0; d < g.dv; d++) data[(b * g.s + j) * g.dv + d] += weight * dO!.data[(b * g.t + i) * g.dv + d]!;
    });
    return { shape: out.shape, dtype: 'f32', data };
  },
});

export const flashAttentionOp: OpDef<FlashAttentionAttrs> = defineOp<FlashAttentionAttrs>({
  name: 'flash_attention',
  infer([q, k, v, step], attrs) {
    const g = geometry('scaled_dot_product_attention', q!, k!, v!);
    if (attrs.dropout) checkDropoutMask('scaled_dot_product_attention', attrs.dropout);
    if (!attrs.dropout !== !step) throw new ShapeError('flash_attention: dropout on the weights needs the step input, and the step input needs dropout');
    if (step && (step.dtype !== 'i32' || sizeOf(step.shape) !== 1))
      throw new ShapeError(`flash_attention: the dropout step must be one i32, got ${step.dtype}${fmt(step.shape)}`);
    return { shape: [...q!.shape.slice(0, -1), g.dv], dtype: 'f32' };
  },
  lower(node, attrs) {
    const [q, k, v] = node.inputs;
    const g = geometry('flash_attention', q!, k!, v!);
    return [call('flash_attention', forwardSource, g, attrs, 3, g.bh * g.t)];
  },
  grad({ node, inputs: [q, k, v, step], attrs, dy }) {
    const graph = dy.graph;
    // The log-sum-exp is of the undropped weights: no mask, no step.
    const lse = graph.applyF32(attentionLseOp, [q!, k!], { causal: attrs.causal, scale: attrs.scale });
    // delta_i = dO_i · out_i holds with dropout too: out_i is the dropped weights' sum.
    const delta = sum(mul(dy, node), [node.rank - 1]);
    const withStep = (inputs: Tensor[]) => (step ? [...inputs, step] : inputs);
    return [
      graph.applyF32(attentionGradQOp, withStep([q!, k!, v!, dy, lse, delta]), attrs),
      graph.applyF32(attentionGradKOp, withStep([q!, k!, v!, dy, lse, delta]), attrs),
      graph.applyF32(attentionGradVOp, withStep([q!, k!, dy, lse]), { ...attrs, valueShape: v!.shape }),
      ...(step ? [null] : []),
    ];
  },
  cpu([q, k, v, step], attrs, out) {
    const g = geometry('flash_attention', q!, k!, v!);
    const data = new Float64Array(sizeOf(out.shape));
    const mask = cpuWeightMask(g, attrs, step);
    forEachWeight(q!, k!, g, attrs, null, (b, i, j, p) => {
      const weight = p * mask(b, i, j);
      for (let d = 0; d < g.dv; d++) data[(b * g.t + i) * g.dv + d] += weight * v!.data[(b * g.s + j) * g.dv + d]!;
    });
    return { shape: out.shape, dtype: 'f32', data };
  },
  /** Two multiply-adds per score and per weighted value. */
  flops: (node) => {
    const [q, k] = node.inputs;
    const g = geometry('flash_attention', q!, k!, node.inputs[2]!);
    return 2 * g.bh * g.t * g.s * (g.d + g.dv);
  },
});

/** True where the fused form applies: q, k and v share their batch axes (no broadcasting). */
export const fusable = (q: Tensor, k: Tensor, v: Tensor): boolean =>
  q.rank >= 2 &&
  k.rank === q.rank &&
  v.rank === q.rank &&
  sameShape(k.shape.slice(0, -2), q.shape.slice(0, -2)) &&
  sameShape(v.shape.slice(0, -2), q.shape.slice(0, -2));
