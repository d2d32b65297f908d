// Multi-head attention, as torch.nn.MultiheadAttention: the query, key and value projections packed
// in one in_proj_weight [3E, E] (and in_proj_bias), an output projection out_proj, dropout on the
// attention weights, and PyTorch's parameter names and initialisation (Xavier-uniform projections,
// zero biases), so a checkpoint loads into torch's module. forward(x) is self-attention (causal
// when made so); attend(query, key, value) is the general form. Inputs are [T, B, E] as PyTorch's
// default, or [B, T, E] with batchFirst.
import { fmt, ShapeError } from '../../graph/shape';
import type { Tensor } from '../../graph/tensor';
import { Variable } from '../../graph/variable';
import { add } from '../../ops/add';
import { scaledDotProductAttention } from '../../ops/attention';
import { matmul } from '../../ops/matmul';
import { permute } from '../../ops/permute';
import { reshape } from '../../ops/reshape';
import { slice } from '../../ops/slice';
import { split } from '../../ops/split';
import { Dropout } from './dropout';
import { uniform } from './init';
import { Linear } from './linear';
import { Module, type ForwardContext } from './module';

export interface MultiheadAttentionOptions {
  /** Dropout on the attention weights in training (0). */
  dropout?: number;
  /** Biases in the projections (true). */
  bias?: boolean;
  /** Inputs and output are [B, T, E] (false: [T, B, E], PyTorch's default). */
  batchFirst?: boolean;
  /** forward(x) lets position t attend to positions up to t only (a decoder's self-attention). */
  causal?: boolean;
}

/** x [.., E] times wᵀ (w [F, E]) plus b: a linear map of the last axis. */
function project(x: Tensor, w: Tensor, b: Tensor | null): Tensor {
  const rows = matmul(reshape(x, [-1, x.shape[x.rank - 1]!]), w, { transposeB: true });
  return reshape(b ? add(rows, b) : rows, [...x.shape.slice(0, -1), w.shape[0]!]);
}

export class MultiheadAttention extends Module {
  readonly in_proj_weight: Variable<'f32'>;
  readonly in_proj_bias: Variable<'f32'> | null;
  readonly out_proj: Linear;
  readonly dropout: Dropout | null;
  readonly batchFirst: boolean;
  readonly causal: boolean;

  constructor(
    readonly embedDim: number,
    readonly numHeads: number,
    options: MultiheadAttentionOptions = {},
  ) {
    super();
    if (!Number.isInteger(embedDim) || embedDim < 1) throw new RangeError(`multihead_attention: embedDim must be a positive integer, got ${embedDim}`);
    if (!Number.isInteger(numHeads) || numHeads < 1 || embedDim % numHeads !== 0)
      throw new RangeError(`multihead_attention: ${embedDim} features do not split into ${numHeads} heads`);
    const bias = options.bias ?? true;
    // xavier_uniform_ over [3E, E]: fan_in E, fan_out 3E.
    const bound = Math.sqrt(6 / (4 * embedDim));
    this.in_proj_weight = new Variable('in_proj_weight', [3 * embedDim, embedDim], 'f32', {
      trainable: true,
      data: uniform(3 * embedDim * embedDim, -bound, bound),
    });
    this.in_proj_bias = bias ? new Variable('in_proj_bias', [3 * embedDim], 'f32', { trainable: true }) : null;
    this.out_proj = new Linear(embedDim, embedDim, { bias });
    this.out_proj.bias?.assign(new Float32Array(embedDim));
    const p = options.dropout ?? 0;
    this.dropout = p > 0 ? new Dropout(p) : null;
    this.batchFirst = options.batchFirst ?? false;
    this.causal = options.causal ?? false;
  }

  /** Self-attention of x ([T, B, E], or [B, T, E] with batchFirst). */
  forward(x: Tensor, ctx: ForwardContext): Tensor {
    this.check('input', x);
    const e = this.embedDim;
    const g = x.graph;
    const bias = this.in_proj_bias ? g.variable(this.in_proj_bias) : null;
    const qkv = split(project(x, g.variable(this.in_proj_weight), bias), e, -1);
    return this.attendProjected(qkv[0]!, qkv[1]!, qkv[2]!, this.causal, ctx);
  }

  /** Attention of `query` over `key` and `value` (each [T, B, E] or [B, T, E], key and value of one length). */
  attend(query: Tensor, key: Tensor, value: Tensor, ctx: ForwardContext, options: { causal?: boolean } = {}): Tensor {
    for (const [what, t] of [
      ['query', query],
      ['key', key],
      ['value', value],
    ] as const)
      this.check(what, t);
    if (fmt(key.shape) !== fmt(value.shape)) throw new ShapeError(`multihead_attention: key ${fmt(key.shape)} and value ${fmt(value.shape)} differ`);
    const e = this.embedDim;
    const g = query.graph;
    const w = g.variable(this.in_proj_weight);
    const b = this.in_proj_bias ? g.variable(this.in_proj_bias) : null;
    const part = (t: Tensor, k: number): Tensor => project(t, slice(w, [k * e, 0], [e, e]), b ? slice(b, [k * e], [e]) : null);
    return this.attendProjected(part(query, 0), part(key, 1), part(value, 2), options.causal ?? false, ctx);
  }

  private check(what: string, t: Tensor): void {
    if (t.rank !== 3 || t.shape[2] !== this.embedDim) {
      const layout = this.batchFirst ? '[B, T, E]' : '[T, B, E]';
      throw new ShapeError(`multihead_attention: ${what} must be ${layout} with E = ${this.embedDim}, got ${fmt(t.shape)}`);
    }
  }

  private attendProjected(q: Tensor, k: Tensor, v: Tensor, causal: boolean, ctx: ForwardContext): Tensor {
    const h = this.numHeads;
    const d = this.embedDim / h;
    // [T, B, E] or [B, T, E] to [B, H, T, D].
    const heads = (t: Tensor): Tensor => {
      const [b, n] = (this.batchFirst ? [t.shape[0], t.shape[1]] : [t.shape[1], t.shape[0]]) as [number, number];
      const split = reshape(t, this.batchFirst ? [b, n, h, d] : [n, b, h, d]);
      return permute(split, this.batchFirst ? [0, 2, 1, 3] : [1, 2, 0, 3]);
    };
    const mask = this.dropout?.mask(q.graph, ctx);
    const y = scaledDotProductAttention(heads(q), heads(k), heads(v), {
      causal,
      ...(mask ? { dropout: mask } : {}),
    });
    // [B, H, T, D] back to the input's layout.
    const [b, , t] = y.shape as [number, number, number, number];
    const merged = this.batchFirst ? reshape(permute(y, [0, 2, 1, 3]), [b, t, this.embedDim]) : reshape(permute(y, [2, 0, 1, 3]), [t, b, this.embedDim]);
    return this.out_proj.forward(merged, ctx);
  }
}
