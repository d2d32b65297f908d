import code from '../../shaders/adam_update.wgsl';
import { fmt, sameShape, ShapeError, sizeOf } from '../graph/shape';
import type { Tensor } from '../graph/tensor';
import { NO_VALUE } from './effect';
import { defineOp, dispatch1d } from './op';

export interface AdamUpdateAttrs {
  /** AdamW's decay, p (1 - lr wd), instead of Adam's L2 term added to the gradient. */
  decoupled: boolean;
  /** Whether weight_decay applies to this parameter at all. */
  decay: boolean;
}

/**
 * Inputs: parameter, gradient, hyperparameters [lr, beta1, beta2, eps, weight_decay], m, v, step count
 * (i32 [1]), and optionally a factor the gradient is multiplied by (f32, one element).
 */
export const adamUpdateOp = defineOp<AdamUpdateAttrs>({
  name: 'adam_update',
  effect: true,
  infer([p, g, hyper, m, v, step, scale]) {
    for (const [what, t] of [
      ['gradient', g],
      ['m', m],
      ['v', v],
    ] as const) {
      if (!sameShape(t!.shape, p!.shape)) throw new ShapeError(`adam_update: ${what} ${fmt(t!.shape)} does not match parameter ${fmt(p!.shape)}`);
    }
    if (hyper!.shape[0] !== 5) throw new ShapeError(`adam_update: hyperparameters must be [5], got ${fmt(hyper!.shape)}`);
    if (step!.dtype !== 'i32') throw new ShapeError('adam_update: the step count must be i32');
    if (scale && (scale.dtype !== 'f32' || sizeOf(scale.shape) !== 1))
      throw new ShapeError(`adam_update: the gradient's factor must be one f32, got ${scale.dtype} ${fmt(scale.shape)}`);
    return NO_VALUE;
  },
  lower(node, { decoupled, decay }) {
    const n = node.inputs[0]!.size;
    const scaled = node.inputs.length === 7;
    return [
      {
        code,
        entryPoint: scaled ? 'scaled' : 'main',
        constants: { N: n, DECOUPLED: decoupled ? 1 : 0, DECAY_END: decay ? n : 0 },
        bindings: (scaled ? [0, 1, 2, 3, 4, 5, 6] : [0, 1, 2, 3, 4, 5]).map((input) => ({ input })),
        workgroups: dispatch1d(n),
      },
    ];
  },
  cpu([p, g, hyper, m, v, step, scale], { decoupled, decay }) {
    const [lr, b1, b2, eps, decayRate] = hyper!.data as unknown as number[];
    const wd = decay ? decayRate! : 0;
    const t = step!.data[0]!;
    const factor = scale ? scale.data[0]! : 1;
    const data = p!.data.map((p0, i) => {
      const pi = decoupled ? p0 * (1 - lr! * wd) : p0;
      const grad = factor * g!.data[i]! + (decoupled ? 0 : wd * pi);
      const m1 = b1! * m!.data[i]! + (1 - b1!) * grad;
      const v1 = b2! * v!.data[i]! + (1 - b2!) * grad * grad;
      return pi - (lr! / (1 - b1! ** t)) * (m1 / (Math.sqrt(v1) / Math.sqrt(1 - b2! ** t) + eps!));
    });
    return { shape: p!.shape, dtype: 'f32', data };
  },
});

export function adamUpdate(
  param: Tensor,
  grad: Tensor,
  hyper: Tensor,
  m: Tensor,
  v: Tensor,
  step: Tensor,
  attrs: AdamUpdateAttrs = { decoupled: false, decay: true },
  gradScale?: Tensor,
): Tensor {
  return param.graph.apply(adamUpdateOp, [param, grad, hyper, m, v, step, ...(gradScale ? [gradScale] : [])], attrs);
}
