// The `optim` namespace: optim.sgd({ lr: 0.01, momentum: 0.9 }), optim.adam({ lr: 1e-3 }).
import { Adam, type AdamOptions } from './adam';
import { SGD, type SgdOptions } from './sgd';

export { Optimizer } from './optimizer';
export { SGD, type SgdOptions } from './sgd';
export { Adam, type AdamOptions } from './adam';

export const sgd = (options: SgdOptions): SGD => new SGD(options);
export const adam = (options?: AdamOptions): Adam => new Adam(options);
