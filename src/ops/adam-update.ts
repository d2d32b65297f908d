import code from '../../shaders/adam_update.wgsl';
import { fmt, sameShape, ShapeError } from '../graph/shape';
import type { Tensor } from '../graph/tensor';
import { NO_VALUE } from './effect';
import { defineOp, dispatch1d } from './op';

/** Inputs: parameter, gradient, hyperparameters [lr, beta1, beta2, eps, weight_decay], m, v, step count (i32 [1]). */
export const adamUpdateOp = defineOp({
  name: 'adam_update',
  effect: true,
  infer([p, g, hyper, m, v, step]) {
    for (const [what, t] of [
      ['gradient', g],
      ['m', m],
      ['v', v],
    ] as const) {
      if (!sameShape(t!.shape, p!.shape)) throw new ShapeError(`adam_update: ${what} ${fmt(t!.shape)} does not match parameter ${fmt(p!.shape)}`);
    }
    if (hyper!.shape[0] !== 5) throw new ShapeError(`adam_update: hyperparameters must be [5], got ${fmt(hyper!.shape)}`);
    if (step!.dtype !== 'i32') throw new ShapeError('adam_update: the step count must be i32');
    return NO_VALUE;
  },
  lower(node) {
    const n = node.inputs[0]!.size;
    return [{ code, constants: { N: n }, bindings: [0, 1, 2, 3, 4, 5].map((input) => ({ input })), workgroups: dispatch1d(n) }];
  },
  cpu([p, g, hyper, m, v, step]) {
    const [lr, b1, b2, eps, wd] = hyper!.data as unknown as number[];
    const t = step!.data[0]!;
    const data = p!.data.map((pi, i) => {
      const grad = g!.data[i]! + wd! * pi;
      const m1 = b1! * m!.data[i]! + (1 - b1!) * grad;
      const v1 = b2! * v!.data[i]! + (1 - b2!) * grad * grad;
      return pi - (lr! / (1 - b1! ** t)) * (m1 / (Math.sqrt(v1) / Math.sqrt(1 - b2! ** t) + eps!));
    });
    return { shape: p!.shape, dtype: 'f32', data };
  },
});

export function adamUpdate(param: Tensor, grad: Tensor, hyper: Tensor, m: Tensor, v: Tensor, step: Tensor): Tensor {
  return param.graph.apply(adamUpdateOp, [param, grad, hyper, m, v, step], {});
}
