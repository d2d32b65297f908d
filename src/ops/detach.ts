import type { Tensor } from '../graph/tensor';
import { defineOp } from './op';
import { opMethod, type OpMethod } from './op-method';

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

export const detachMethod: OpMethod<typeof detach> = opMethod(detach, {
  cases: [{ label: 'the same values, no gradient', operands: [{ shape: [3, 4] }], args: (x) => [x], gradient: false }],
  eager: { method: 'detach' },
});
