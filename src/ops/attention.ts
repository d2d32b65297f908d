// scaled_dot_product_attention, as torch.nn.functional.scaled_dot_product_attention: softmax(q kᵀ ·
// scale [+ causal mask]) v over [..., T, D] queries, [..., S, D] keys and [..., S, Dv] values. Two
// forms: one fused op (src/ops/flash-attention.ts: an online softmax forward, a recomputing backward;
// the [T, S] scores are never stored), for q, k and v with the same batch axes; or composed of
// batched matmuls and a softmax, so that its gradient is theirs, with the
// causal mask a constant added to the scores (0 on and below the diagonal, -1e30 above: exp gives
// exactly 0 there in f32). `fused` picks one (see AttentionOptions). Dropout on the weights drops the
// same weights in both forms: the composed one applies the dropout op to them, the fused kernels
// regenerate that op's mask.
import { fmt, ShapeError, sizeOf } from '../graph/shape';
import type { Tensor } from '../graph/tensor';
import { add } from './add';
import { batchMatmul } from './batch-matmul';
import { dropout as dropoutOf, type DropoutMask } from './dropout';
import { flashAttentionOp, fusable } from './flash-attention';
import { mul } from './mul';
import { opMethod, type OpMethod } from './op-method';
import { softmax } from './softmax';

export interface AttentionOptions {
  /** Position t attends to positions s <= t only (a decoder's mask). */
  causal?: boolean;
  /** The scores' factor; 1 / sqrt(D) by default. */
  scale?: number;
  /**
   * Dropout on the softmax weights before they weigh the values, as torch's dropout_p: the dropout
   * op's probability and key, and the step tensor that picks this step's mask (a Dropout layer's
   * `mask()` gives them and advances its step).
   */
  dropout?: WeightDropout;
  /**
   * The fused kernels (true), the composed form (false), or 'auto' (the default): fused where the
   * scores would take FUSED_FROM_SCORES elements or more. On the software adapters the composed form
   * runs faster at a character model's sizes (README: Language models); the fused one never stores
   * the scores.
   */
  fused?: boolean | 'auto';
}

/** Dropout on attention weights: the dropout op's mask and its step (i32 [1]). */
export interface WeightDropout extends DropoutMask {
  step: Tensor;
}

/** Scores (batch × queries × keys) from which 'auto' takes the fused form: 16 MiB of f32. */
export const FUSED_FROM_SCORES = 1 << 22;

/** Large enough that exp(score + MASKED) is 0 in f32, small enough to stay finite. */
const MASKED = -1e30;

export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions = {}): Tensor<'f32'> {
  if (q.rank < 2 || k.rank !== q.rank || v.rank !== q.rank) {
    throw new ShapeError(`scaled_dot_product_attention: q, k and v need one rank of at least 2, got ${fmt(q.shape)}, ${fmt(k.shape)} and ${fmt(v.shape)}`);
  }
  const [t, d] = q.shape.slice(-2) as [number, number];
  const [s, dk] = k.shape.slice(-2) as [number, number];
  if (dk !== d) throw new ShapeError(`scaled_dot_product_attention: queries have width ${d} but keys ${dk}`);
  if (v.shape[v.rank - 2] !== s) throw new ShapeError(`scaled_dot_product_attention: ${s} keys but ${v.shape[v.rank - 2]} values`);
  const scale = options.scale ?? 1 / Math.sqrt(d);
  const fused = options.fused ?? 'auto';
  const large = sizeOf(q.shape.slice(0, -1)) * s >= FUSED_FROM_SCORES;
  const drop = options.dropout && options.dropout.p > 0 ? options.dropout : undefined;
  if (fusable(q, k, v) && (fused === true || (fused === 'auto' && large))) {
    const attrs = { causal: options.causal ?? false, scale, ...(drop ? { dropout: { p: drop.p, key0: drop.key0, key1: drop.key1 } } : {}) };
    return q.graph.applyF32(flashAttentionOp, drop ? [q, k, v, drop.step] : [q, k, v], attrs);
  }
  let scores = mul(batchMatmul(q, k, { transposeB: true }), scale);
  if (options.causal) {
    // As torch's is_causal: query t sees keys 0..t (the mask is aligned to the top left).
    const mask = Float32Array.from({ length: t * s }, (_, i) => (i % s <= Math.floor(i / s) ? 0 : MASKED));
    scores = add(scores, q.graph.constant(mask, [t, s], 'causal_mask'));
  }
  const weights = softmax(scores, -1);
  return batchMatmul(drop ? dropoutOf(weights, drop.step, { p: drop.p, key0: drop.key0, key1: drop.key1 }) : weights, v);
}

export const scaledDotProductAttentionMethod: OpMethod<typeof scaledDotProductAttention, 'derived-functional'> = opMethod(scaledDotProductAttention, {
  cases: [
    {
      label: 'two heads, no mask, fused',
      operands: [{ shape: [2, 2, 4, 3] }, { shape: [2, 2, 5, 3] }, { shape: [2, 2, 5, 2] }],
      args: (q, k, v) => [q, k, v, { fused: true }],
    },
    {
      label: 'causal, [B, H, T, D], fused',
      operands: [{ shape: [2, 2, 5, 4] }, { shape: [2, 2, 5, 4] }, { shape: [2, 2, 5, 4] }],
      args: (q, k, v) => [q, k, v, { causal: true, fused: true }],
    },
    {
      label: 'causal, more keys than queries, fused',
      operands: [{ shape: [2, 3, 4] }, { shape: [2, 5, 4] }, { shape: [2, 5, 3] }],
      args: (q, k, v) => [q, k, v, { causal: true, fused: true }],
    },
    {
      label: 'causal, composed (auto, at this size)',
      operands: [{ shape: [2, 2, 5, 4] }, { shape: [2, 2, 5, 4] }, { shape: [2, 2, 5, 4] }],
      args: (q, k, v) => [q, k, v, { causal: true }],
    },
    {
      label: 'keys and values broadcast over the batch (composed)',
      operands: [{ shape: [2, 2, 4, 3] }, { shape: [1, 2, 6, 3] }, { shape: [1, 2, 6, 3] }],
      args: (q, k, v) => [q, k, v],
    },
    {
      label: 'causal, dropout on the weights, fused',
      operands: [{ shape: [2, 2, 5, 4] }, { shape: [2, 2, 5, 4] }, { shape: [2, 2, 5, 3] }, { shape: [1], dtype: 'i32', data: [5] }],
      args: (q, k, v, step) => [q, k, v, { causal: true, fused: true, dropout: { p: 0.3, key0: 0x1234abcd, key1: 0x0badf00d, step } }],
    },
    {
      label: 'causal, dropout on the weights, composed',
      operands: [{ shape: [2, 2, 5, 4] }, { shape: [2, 2, 5, 4] }, { shape: [2, 2, 5, 3] }, { shape: [1], dtype: 'i32', data: [5] }],
      args: (q, k, v, step) => [q, k, v, { causal: true, fused: false, dropout: { p: 0.3, key0: 0x1234abcd, key1: 0x0badf00d, step } }],
    },
    {
      label: 'a given scale, one head, fused',
      operands: [{ shape: [3, 4] }, { shape: [3, 4] }, { shape: [3, 2] }],
      args: (q, k, v) => [q, k, v, { scale: 0.7, causal: true, fused: true }],
    },
  ],
  eager: 'derived-functional',
});
