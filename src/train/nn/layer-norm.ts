import { fmt, sameShape, ShapeError, sizeOf, type Shape } from '../../graph/shape';
import type { Tensor } from '../../graph/tensor';
import { Variable } from '../../graph/variable';
import { layerNorm } from '../../ops/layer-norm';
import { Module, type ForwardContext } from './module';

export interface LayerNormOptions {
  eps?: number;
  /** Learnable weight (ones) and bias (zeros); true by default, as torch's elementwise_affine. */
  elementwiseAffine?: boolean;
  /** Whether there is a bias (torch 2.1's `bias`; nanoGPT's LayerNorm(bias=False)). */
  bias?: boolean;
}

/** Normalizes over the trailing `normalizedShape` axes, as torch.nn.LayerNorm. */
export class LayerNorm extends Module {
  readonly normalizedShape: Shape;
  readonly eps: number;
  readonly weight: Variable<'f32'> | null;
  readonly bias: Variable<'f32'> | null;

  constructor(normalizedShape: Shape | number, options: LayerNormOptions = {}) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    if (this.normalizedShape.length === 0 || this.normalizedShape.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new RangeError(`layer_norm: the normalized shape must be positive integers, got ${fmt(this.normalizedShape)}`);
    }
    this.eps = options.eps ?? 1e-5;
    const affine = options.elementwiseAffine ?? true;
    const n = sizeOf(this.normalizedShape);
    this.weight = affine ? new Variable('weight', this.normalizedShape, 'f32', { trainable: true, data: new Float32Array(n).fill(1) }) : null;
    this.bias = affine && options.bias !== false ? new Variable('bias', this.normalizedShape, 'f32', { trainable: true, data: new Float32Array(n) }) : null;
  }

  forward(x: Tensor, _ctx: ForwardContext): Tensor {
    const trailing = x.shape.slice(x.shape.length - this.normalizedShape.length);
    if (!sameShape(trailing, this.normalizedShape)) {
      throw new ShapeError(`layer_norm: input ${fmt(x.shape)} does not end in the normalized shape ${fmt(this.normalizedShape)}`);
    }
    const g = x.graph;
    return layerNorm(x, this.normalizedShape, this.weight ? g.variable(this.weight) : null, this.bias ? g.variable(this.bias) : null, this.eps);
  }
}
