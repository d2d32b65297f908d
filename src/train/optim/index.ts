// The `optim` namespace: optim.sgd({ lr: 0.01, momentum: 0.9 }), optim.adam({ lr: 1e-3 }), optim.adamw(...).
import { Adam, AdamW, type AdamOptions, type AdamWOptions } from './adam';
import { SGD, type SgdOptions } from './sgd';

export { Optimizer, type ParamList } from './optimizer';
import type { ParamList } from './optimizer';
export { SGD, type SgdOptions } from './sgd';
export { Adam, AdamW, type AdamOptions, type AdamWOptions, type AdamDecayRule } from './adam';

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

/**
 * AdamW, as torch.optim.AdamW (defaults lr 1e-3, betas [0.9, 0.999], eps 1e-8, weight decay 0.01),
 * decoupled weight decay on weights of rank 2 and more only (biases and norm weights do not decay).
 *
 * @example
 * ```ts
 * const optimizer = optim.adamw({ lr: 1e-3, weightDecay: 0.1 });
 * ```
 */
export function adamw(options?: AdamWOptions): AdamW;
export function adamw(params: ParamList, options?: AdamWOptions): AdamW;
export function adamw(first?: ParamList | AdamWOptions, second?: AdamWOptions): AdamW {
  return new AdamW(first, second);
}
