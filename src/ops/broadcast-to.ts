import snippet from '../../shaders/broadcast_to.wgsl';
import type { Shape } from '../graph/shape';
import type { Tensor } from '../graph/tensor';
import { defineElementwise } from './elementwise';
import { sumTo } from './sum';
import { opMethod, type OpMethod } from './op-method';

export interface BroadcastToAttrs {
  shape: Shape;
}

export const broadcastToOp = defineElementwise<BroadcastToAttrs>({
  name: 'broadcast_to',
  arity: 1,
  snippet,
  outShape: (attrs) => attrs.shape,
  cpu: (a) => a,
  grad: ({ inputs: [x], dy }) => [sumTo(dy, x!.shape)],
});

/** x repeated along broadcast axes to `shape` (PyTorch's expand, materialised). */
export function broadcastTo(x: Tensor, shape: Shape): Tensor<'f32'> {
  return x.graph.applyF32(broadcastToOp, [x], { shape: [...shape] });
}

export const broadcastToMethod: OpMethod<typeof broadcastTo> = opMethod(broadcastTo, {
  cases: [
    { label: 'new and size-1 axes', operands: [{ shape: [3, 1] }], args: (x) => [x, [4, 3, 5]] },
    { label: 'a row to a matrix', operands: [{ shape: [1, 4] }], args: (x) => [x, [2, 3, 4]] },
  ],
  eager: { method: 'expand' },
});
