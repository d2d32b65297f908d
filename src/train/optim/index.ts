// The `optim` namespace: optim.sgd({ lr: 0.01, momentum: 0.9 }), optim.adam({ lr: 1e-3 }).
import { Adam, type AdamOptions } from './adam';
import { SGD, type SgdOptions } from './sgd';

export { Optimizer } from './optimizer';
export { SGD, type SgdOptions } from './sgd';
export { Adam, type AdamOptions } from './adam';

/**
 * Stochastic gradient descent, as torch.optim.SGD (momentum, weight decay, Nesterov; dampening 0).
 *
 * @example
 * ```ts
 * const optimizer = optim.sgd({ lr: 0.025, momentum: 0.9 });
 * ```
 */
export const sgd = (options: SgdOptions): SGD => new SGD(options);

/**
 * Adam, as torch.optim.Adam (defaults lr 1e-3, betas [0.9, 0.999], eps 1e-8; L2 weight decay).
 *
 * @example
 * ```ts
 * const optimizer = optim.adam({ lr: 1e-3 });
 * ```
 */
export const adam = (options?: AdamOptions): Adam => new Adam(options);
