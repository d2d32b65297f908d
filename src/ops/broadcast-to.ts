import snippet from '../../shaders/broadcast_to.wgsl';
import type { Shape } from '../graph/shape';
import type { Tensor } from '../graph/tensor';
import { defineElementwise } from './elementwise';
import { sumTo } from './sum';

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
export function broadcastTo(x: Tensor, shape: Shape): Tensor {
  return x.graph.apply(broadcastToOp, [x], { shape: [...shape] });
}
