import { fmt, ShapeError } from '../../graph/shape';
import type { Tensor } from '../../graph/tensor';
import { Variable } from '../../graph/variable';
import { embedding } from '../../ops/embedding';
import { normal } from './init';
import { Module, type ForwardContext } from './module';

/** A table of `numEmbeddings` rows of width `embeddingDim`, looked up at i32 indices, as torch.nn.Embedding (N(0, 1) init). */
export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly weight: Variable<'f32'>;

  constructor(numEmbeddings: number, embeddingDim: number) {
    super();
    for (const [what, n] of [
      ['numEmbeddings', numEmbeddings],
      ['embeddingDim', embeddingDim],
    ] as const) {
      if (!Number.isInteger(n) || n < 1) throw new RangeError(`embedding: ${what} must be a positive integer, got ${n}`);
    }
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    this.weight = new Variable('weight', [numEmbeddings, embeddingDim], 'f32', { trainable: true, data: normal(numEmbeddings * embeddingDim, 0, 1) });
  }

  forward(indices: Tensor, _ctx: ForwardContext): Tensor {
    if (indices.dtype !== 'i32') throw new ShapeError(`embedding: indices must be i32 (token ids), got ${indices.dtype}${fmt(indices.shape)}`);
    return embedding(indices, indices.graph.variable(this.weight));
  }
}
