// relu_grad(r, max_pool2d_grad(r, dy)) -> max_pool2d_grad(r, dy) with reluMask: the backward of
// relu followed by max pooling (the MNIST net's conv2 -> relu -> pool) in one kernel. The pool's
// backward already reads r to find each window's argmax, so masking dx by r > 0 there saves a whole
// pass over the activation. Exactly relu_grad's select(0, g, r > 0) on the same value g.
import { maxPool2dGradOp, type MaxPool2dGradAttrs } from '../../ops/max-pool2d-grad';
import { reluGradOp } from '../../ops/relu';
import type { Tensor } from '../tensor';
import type { FusionRule } from './rule';

export const poolGradRelu: FusionRule = {
  name: 'max-pool2d-grad-relu',
  apply(node, ctx) {
    if (node.op !== reluGradOp) return null;
    const [r, g] = node.inputs as [Tensor, Tensor];
    if (g.op !== maxPool2dGradOp || g.inputs[0] !== r || ctx.uses(g) !== 1) return null;
    const attrs = g.attrs as MaxPool2dGradAttrs;
    if (attrs.reluMask) return null;
    return ctx.node(maxPool2dGradOp, g.inputs, { ...attrs, reluMask: true }, `${g.name}+relu_grad`);
  },
};
