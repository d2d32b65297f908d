// A GPT as nanoGPT's model.py writes it (pre-norm blocks: causal self-attention and a GELU MLP with
// residuals; learned positions; the output head tied to the token embedding), with its parameter
// names, so that `namedParameters()` reads as nanoGPT's state_dict: transformer.wte.weight,
// transformer.h.0.attn.c_attn.weight, ... (lm_head.weight is transformer.wte.weight itself).
import { fmt, ShapeError } from '../../graph/shape';
import type { Tensor } from '../../graph/tensor';
import type { Variable } from '../../graph/variable';
import { add } from '../../ops/add';
import { scaledDotProductAttention } from '../../ops/attention';
import { embedding } from '../../ops/embedding';
import { matmul } from '../../ops/matmul';
import { permute } from '../../ops/permute';
import { reshape } from '../../ops/reshape';
import { slice } from '../../ops/slice';
import { GELU } from './activations';
import { Dropout } from './dropout';
import { Embedding } from './embedding';
import { normal } from './init';
import { LayerNorm } from './layer-norm';
import { Linear } from './linear';
import { Module, type ForwardContext } from './module';

export interface GptConfig {
  vocabSize: number;
  /** The longest context, in tokens (nanoGPT's block_size). */
  blockSize: number;
  nLayer: number;
  nHead: number;
  nEmbd: number;
  /** Dropout after the embeddings and on each residual branch; 0 by default. */
  dropout?: number;
  /** Biases in the linear layers and layer norms, as nanoGPT's `bias` (true by default). */
  bias?: boolean;
  /** Attention by the fused kernels (true), composed of batched matmuls and a softmax (false), or 'auto' (the default; see AttentionOptions.fused). */
  fusedAttention?: boolean | 'auto';
}

/** nanoGPT's initialisation: N(0, std) weights, zero biases. */
function initLinear(layer: Linear, std: number): Linear {
  layer.weight.assign(normal(layer.weight.size, 0, std));
  layer.bias?.assign(new Float32Array(layer.outFeatures));
  return layer;
}

/** Identity when p is 0: no dispatch and no counter. */
const dropoutOrNone = (p: number): Dropout | null => (p > 0 ? new Dropout(p) : null);
const applyDropout = (d: Dropout | null, x: Tensor, ctx: ForwardContext): Tensor => (d ? d.forward(x, ctx) : x);

/** Multi-head causal self-attention over [B, T, C]: one linear for q, k and v (c_attn), one out (c_proj). */
export class CausalSelfAttention extends Module {
  readonly c_attn: Linear;
  readonly c_proj: Linear;
  readonly attn_dropout: Dropout | null;
  readonly resid_dropout: Dropout | null;
  /** Attention by the fused kernels, composed, or 'auto' (both forms drop the same attention weights). */
  readonly fused: boolean | 'auto';

  constructor(
    readonly nEmbd: number,
    readonly nHead: number,
    options: { bias?: boolean; dropout?: number; projectionStd?: number; fused?: boolean | 'auto' } = {},
  ) {
    super();
    if (!Number.isInteger(nHead) || nHead < 1 || nEmbd % nHead !== 0) throw new RangeError(`attention: ${nEmbd} features do not split into ${nHead} heads`);
    this.c_attn = initLinear(new Linear(nEmbd, 3 * nEmbd, { bias: options.bias ?? true }), 0.02);
    this.c_proj = initLinear(new Linear(nEmbd, nEmbd, { bias: options.bias ?? true }), options.projectionStd ?? 0.02);
    this.attn_dropout = dropoutOrNone(options.dropout ?? 0);
    this.resid_dropout = dropoutOrNone(options.dropout ?? 0);
    this.fused = options.fused ?? 'auto';
  }

  forward(x: Tensor, ctx: ForwardContext): Tensor {
    if (x.rank !== 3 || x.shape[2] !== this.nEmbd) throw new ShapeError(`attention: input must be [B, T, ${this.nEmbd}], got ${fmt(x.shape)}`);
    const [b, t, c] = x.shape as [number, number, number];
    const headDim = c / this.nHead;
    const qkv = this.c_attn.forward(x, ctx);
    // q, k, v: [B, T, C] each, then [B, H, T, D].
    const heads = (k: number) => permute(reshape(slice(qkv, [0, 0, k * c], [b, t, c]), [b, t, this.nHead, headDim]), [0, 2, 1, 3]);
    const mask = this.attn_dropout?.mask(x.graph, ctx);
    const y = scaledDotProductAttention(heads(0), heads(1), heads(2), {
      causal: true,
      fused: this.fused,
      ...(mask ? { dropout: mask } : {}),
    });
    const merged = reshape(permute(y, [0, 2, 1, 3]), [b, t, c]);
    return applyDropout(this.resid_dropout, this.c_proj.forward(merged, ctx), ctx);
  }
}

/** The feed-forward half of a block: c_fc to 4C, GELU, c_proj back to C. */
export class MLP extends Module {
  readonly c_fc: Linear;
  readonly gelu = new GELU();
  readonly c_proj: Linear;
  readonly dropout: Dropout | null;

  constructor(nEmbd: number, options: { bias?: boolean; dropout?: number; projectionStd?: number } = {}) {
    super();
    this.c_fc = initLinear(new Linear(nEmbd, 4 * nEmbd, { bias: options.bias ?? true }), 0.02);
    this.c_proj = initLinear(new Linear(4 * nEmbd, nEmbd, { bias: options.bias ?? true }), options.projectionStd ?? 0.02);
    this.dropout = dropoutOrNone(options.dropout ?? 0);
  }

  forward(x: Tensor, ctx: ForwardContext): Tensor {
    return applyDropout(this.dropout, this.c_proj.forward(this.gelu.forward(this.c_fc.forward(x, ctx), ctx), ctx), ctx);
  }
}

/** A pre-norm transformer block: x + attn(ln_1(x)), then + mlp(ln_2(x)). */
export class Block extends Module {
  readonly ln_1: LayerNorm;
  readonly attn: CausalSelfAttention;
  readonly ln_2: LayerNorm;
  readonly mlp: MLP;

  constructor(config: GptConfig) {
    super();
    const options = {
      bias: config.bias ?? true,
      dropout: config.dropout ?? 0,
      projectionStd: 0.02 / Math.sqrt(2 * config.nLayer),
      fused: config.fusedAttention ?? 'auto',
    };
    this.ln_1 = new LayerNorm(config.nEmbd, { bias: options.bias });
    this.attn = new CausalSelfAttention(config.nEmbd, config.nHead, options);
    this.ln_2 = new LayerNorm(config.nEmbd, { bias: options.bias });
    this.mlp = new MLP(config.nEmbd, options);
  }

  forward(x: Tensor, ctx: ForwardContext): Tensor {
    const h = add(x, this.attn.forward(this.ln_1.forward(x, ctx), ctx));
    return add(h, this.mlp.forward(this.ln_2.forward(h, ctx), ctx));
  }
}

/** nanoGPT's `transformer` ModuleDict: embeddings, blocks and the final norm. */
export class GptTransformer extends Module {
  readonly wte: Embedding;
  readonly wpe: Embedding;
  readonly drop: Dropout | null;
  readonly h: Block[];
  readonly ln_f: LayerNorm;

  constructor(config: GptConfig) {
    super();
    this.wte = new Embedding(config.vocabSize, config.nEmbd);
    this.wpe = new Embedding(config.blockSize, config.nEmbd);
    this.wte.weight.assign(normal(this.wte.weight.size, 0, 0.02));
    this.wpe.weight.assign(normal(this.wpe.weight.size, 0, 0.02));
    this.drop = dropoutOrNone(config.dropout ?? 0);
    this.h = Array.from({ length: config.nLayer }, () => new Block(config));
    this.ln_f = new LayerNorm(config.nEmbd, { bias: config.bias ?? true });
  }

  forward(idx: Tensor, ctx: ForwardContext): Tensor {
    const t = idx.shape[1]!;
    const g = idx.graph;
    const positions = g.constant(
      Int32Array.from({ length: t }, (_, i) => i),
      [t],
      'positions',
    );
    let x: Tensor = add(this.wte.forward(idx, ctx), embedding(positions, g.variable(this.wpe.weight)));
    x = applyDropout(this.drop, x, ctx);
    for (const block of this.h) x = block.forward(x, ctx);
    return this.ln_f.forward(x, ctx);
  }
}

/**
 * A GPT language model: i32 token ids [B, T] (T at most blockSize) to logits [B, T, vocabSize].
 *
 * @example
 * ```ts
 * const model = nn.gpt({ vocabSize: 65, blockSize: 64, nLayer: 4, nHead: 4, nEmbd: 128 });
 * const loss = functional.crossEntropy(model.call(x), y);   // x, y: i32 [B, T]
 * ```
 */
export class GPT extends Module {
  readonly config: Required<GptConfig>;
  readonly transformer: GptTransformer;

  constructor(config: GptConfig) {
    super();
    for (const key of ['vocabSize', 'blockSize', 'nLayer', 'nHead', 'nEmbd'] as const) {
      if (!Number.isInteger(config[key]) || config[key] < 1) throw new RangeError(`gpt: ${key} must be a positive integer, got ${config[key]}`);
    }
    const dropout = config.dropout ?? 0;
    if (!(dropout >= 0 && dropout < 1)) throw new RangeError(`gpt: dropout must be in [0, 1), got ${dropout}`);
    this.config = { dropout, bias: true, fusedAttention: 'auto', ...config };
    this.transformer = new GptTransformer(this.config);
  }

  forward(idx: Tensor, ctx: ForwardContext): Tensor {
    if (idx.dtype !== 'i32' || idx.rank !== 2) throw new ShapeError(`gpt: input must be i32 token ids [B, T], got ${idx.dtype}${fmt(idx.shape)}`);
    const [b, t] = idx.shape as [number, number];
    if (t > this.config.blockSize) throw new ShapeError(`gpt: a context of ${t} tokens exceeds the block size ${this.config.blockSize}`);
    const x = this.transformer.forward(idx, ctx);
    // lm_head is tied to wte (nanoGPT's weight tying): logits = x · wteᵀ.
    const logits = matmul(reshape(x, [b * t, this.config.nEmbd]), idx.graph.variable(this.transformer.wte.weight), { transposeB: true });
    return reshape(logits, [b, t, this.config.vocabSize]);
  }

  /** The parameters under nanoGPT's state_dict names, lm_head.weight included (the token embedding again). */
  stateDict(): [string, Variable][] {
    return [...this.namedParameters(), ['lm_head.weight', this.transformer.wte.weight]];
  }
}
