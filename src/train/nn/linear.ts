import { ShapeError } from '../../graph/shape';
import type { Tensor } from '../../graph/tensor';
import { Variable } from '../../graph/variable';
import { add } from '../../ops/add';
import { matmul } from '../../ops/matmul';
import { reshape } from '../../ops/reshape';
import { kaimingUniformDefault } from './init';
import { Module, type ForwardContext } from './module';

/** y = x Wᵀ + b with W of shape [out, in], as torch.nn.Linear (and initialised as it is). */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly weight: Variable<'f32'>;
  readonly bias: Variable<'f32'> | null;

  constructor(inFeatures: number, outFeatures: number, options: { bias?: boolean } = {}) {
    super();
    for (const [what, n] of [
      ['inFeatures', inFeatures],
      ['outFeatures', outFeatures],
    ] as const) {
      if (!Number.isInteger(n) || n < 1) throw new RangeError(`linear: ${what} must be a positive integer, got ${n}`);
    }
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.weight = new Variable('weight', [outFeatures, inFeatures], 'f32', {
      trainable: true,
      data: kaimingUniformDefault(outFeatures * inFeatures, inFeatures),
    });
    this.bias =
      options.bias === false ? null : new Variable('bias', [outFeatures], 'f32', { trainable: true, data: kaimingUniformDefault(outFeatures, inFeatures) });
  }

  forward(x: Tensor, _ctx: ForwardContext): Tensor {
    const features = x.shape[x.shape.length - 1];
    if (features !== this.inFeatures) {
      throw new ShapeError(`linear: input has ${features ?? 0} features (shape [${x.shape.join(',')}]), weight expects ${this.inFeatures}`);
    }
    const g = x.graph;
    const rows = x.shape.length === 2 ? x : reshape(x, [-1, this.inFeatures]);
    let y = matmul(rows, g.variable(this.weight), { transposeB: true });
    if (this.bias) y = add(y, g.variable(this.bias));
    return x.shape.length === 2 ? y : reshape(y, [...x.shape.slice(0, -1), this.outFeatures]);
  }
}
