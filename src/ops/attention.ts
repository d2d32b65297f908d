// scaled_dot_product_attention, as torch.nn.functional.scaled_dot_product_attention: softmax(q kᵀ ·
// scale [+ causal mask]) v over [..., T, D] queries, [..., S, D] keys and [..., S, Dv] values. Composed
// from batched matmuls and a softmax, so its gradient is theirs; the causal mask is a constant added
// to the scores (0 on and below the diagonal, -1e30 above: exp gives exactly 0 there in f32). It
// stores the [T, S] weights of every head: fine at a character model's block of 64 or 256, and the
// place for a fused kernel with an online softmax when T grows.
import { fmt, ShapeError } from '../graph/shape';
import type { Tensor } from '../graph/tensor';
import { add } from './add';
import { batchMatmul } from './batch-matmul';
import { mul } from './mul';
import { opMethod, type OpMethod } from './op-method';
import { softmax } from './softmax';

export interface AttentionOptions {
  /** Position t attends to positions s <= t only (a decoder's mask). */
  causal?: boolean;
  /** The scores' factor; 1 / sqrt(D) by default. */
  scale?: number;
  /**
   * Applied to the softmax weights before they weigh the values: dropout on the attention weights
   * (a Dropout layer's forward, with its own mask counter), as torch's dropout_p.
   */
  weightDropout?: (weights: Tensor) => Tensor;
}

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
  let scores = mul(batchMatmul(q, k, { transposeB: true }), scale);
  if (options.causal) {
    // As torch's is_causal: query t sees keys 0..t (the mask is aligned to the top left).
    const mask = Float32Array.from({ length: t * s }, (_, i) => (i % s <= Math.floor(i / s) ? 0 : MASKED));
    scores = add(scores, q.graph.constant(mask, [t, s], 'causal_mask'));
  }
  const weights = softmax(scores, -1);
  return batchMatmul(options.weightDropout ? options.weightDropout(weights) : weights, v);
}

export const scaledDotProductAttentionMethod: OpMethod<typeof scaledDotProductAttention, 'derived-functional'> = opMethod(scaledDotProductAttention, {
  cases: [
    { label: 'two heads, no mask', operands: [{ shape: [2, 2, 4, 3] }, { shape: [2, 2, 5, 3] }, { shape: [2, 2, 5, 2] }], args: (q, k, v) => [q, k, v] },
    {
      label: 'causal, [B, H, T, D]',
      operands: [{ shape: [2, 2, 5, 4] }, { shape: [2, 2, 5, 4] }, { shape: [2, 2, 5, 4] }],
      args: (q, k, v) => [q, k, v, { causal: true }],
    },
    {
      label: 'a given scale, one head',
      operands: [{ shape: [3, 4] }, { shape: [3, 4] }, { shape: [3, 2] }],
      args: (q, k, v) => [q, k, v, { scale: 0.7, causal: true }],
    },
  ],
  eager: 'derived-functional',
});
