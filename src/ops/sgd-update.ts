import code from '../../shaders/sgd_update.wgsl';
import { fmt, sameShape, ShapeError } from '../graph/shape';
import type { Tensor } from '../graph/tensor';
import { NO_VALUE } from './effect';
import { defineOp, dispatch1d, type KernelCall } from './op';

/** Elements each invocation of shaders/sgd_update.wgsl updates (its PER). */
export const SGD_PER_INVOCATION = 4;

export interface SgdAttrs {
  nesterov: boolean;
}

/** Inputs: parameter, gradient, hyperparameters [lr, momentum, weight_decay, 0], and the velocity when momentum is used. */
export const sgdUpdateOp = defineOp<SgdAttrs>({
  name: 'sgd_update',
  effect: true,
  infer([p, g, hyper, v]) {
    if (!sameShape(p!.shape, g!.shape)) throw new ShapeError(`sgd_update: gradient ${fmt(g!.shape)} does not match parameter ${fmt(p!.shape)}`);
    if (hyper!.shape.length !== 1 || hyper!.shape[0] !== 4) throw new ShapeError(`sgd_update: hyperparameters must be [4], got ${fmt(hyper!.shape)}`);
    if (v && !sameShape(v.shape, p!.shape)) throw new ShapeError(`sgd_update: velocity ${fmt(v.shape)} does not match parameter ${fmt(p!.shape)}`);
    return NO_VALUE;
  },
  lower(node, { nesterov }): KernelCall[] {
    const n = node.inputs[0]!.size;
    const momentum = node.inputs.length === 4;
    const constants: Record<string, number> = momentum ? { N: n, NESTEROV: nesterov ? 1 : 0 } : { N: n };
    return [
      {
        code,
        entryPoint: momentum ? 'momentum' : 'plain',
        constants,
        bindings: momentum ? [{ input: 0 }, { input: 1 }, { input: 2 }, { input: 3 }] : [{ input: 0 }, { input: 1 }, { input: 2 }],
        workgroups: dispatch1d(Math.ceil(n / SGD_PER_INVOCATION)),
      },
    ];
  },
  cpu([p, g, hyper, v], { nesterov }) {
    const [lr, mu, wd] = hyper!.data;
    const data = p!.data.map((pi, i) => {
      let d = g!.data[i]! + wd! * pi;
      if (v) {
        const vel = mu! * v.data[i]! + d;
        d = nesterov ? d + mu! * vel : vel;
      }
      return pi - lr! * d;
    });
    return { shape: p!.shape, dtype: 'f32', data };
  },
});

export function sgdUpdate(param: Tensor, grad: Tensor, hyper: Tensor, velocity: Tensor | null, nesterov: boolean): Tensor {
  return param.graph.apply(sgdUpdateOp, velocity ? [param, grad, hyper, velocity] : [param, grad, hyper], { nesterov });
}
