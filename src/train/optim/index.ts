// The `optim` namespace: optim.sgd({ lr: 0.01, momentum: 0.9 }), optim.adam({ lr: 1e-3 }).
import { Adam, type AdamOptions } from './adam';
import { SGD, type SgdOptions } from './sgd';

export { Optimizer, type ParamList } from './optimizer';
import type { ParamList } from './optimizer';
export { SGD, type SgdOptions } from './sgd';
export { Adam, type AdamOptions } from './adam';

/**
 * Stochastic gradient descent, as torch.optim.SGD (momentum, weight decay, Nesterov; dampening 0).
 *
 * @example
 * ```ts
 * const optimizer = optim.sgd({ lr: 0.025, momentum: 0.9 });           // for compile()
 * const eager = optim.sgd(model.parameters(), { lr: 0.03 });           // step() on lazy tensors
 * ```
 */
export function sgd(options: SgdOptions): SGD;
export function sgd(params: ParamList, options: SgdOptions): SGD;
export function sgd(first: ParamList | SgdOptions, second?: SgdOptions): SGD {
  return new SGD(first, second);
}

/**
 * Adam, as torch.optim.Adam (defaults lr 1e-3, betas [0.9, 0.999], eps 1e-8; L2 weight decay).
 *
 * @example
 * ```ts
 * const optimizer = optim.adam({ lr: 1e-3 });
 * ```
 */
export function adam(options?: AdamOptions): Adam;
export function adam(params: ParamList, options?: AdamOptions): Adam;
export function adam(first?: ParamList | AdamOptions, second?: AdamOptions): Adam {
  return new Adam(first, second);
}
