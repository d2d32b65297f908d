import type { Tensor } from '../graph/tensor';
import { defineOp } from './op';

/**
 * The same value with no gradient through it (torch.Tensor.detach, jax.lax.stop_gradient): a view,
 * so no kernel runs. Lazy tensors put it where a value computed under noGrad() meets the graph.
 */
export const detachOp = defineOp({
  name: 'detach',
  view: true,
  infer: ([x]) => ({ shape: x!.shape, dtype: x!.dtype }),
  cpu: ([x]) => ({ shape: x!.shape, dtype: x!.dtype, data: x!.data.slice() }),
  grad: () => [null],
});

export function detach<T extends Tensor>(x: T): T {
  return x.graph.apply(detachOp, [x], {}) as T;
}
