// The classification loss tail, nll_loss(log_softmax(x, 1), labels) and its backward, as one kernel
// each (what cross_entropy builds too: src/ops/cross-entropy.ts is these two graph ops).
//  - canonical: log_softmax_grad(ls, nll_loss_grad(seed, labels)), ls = log_softmax(x, 1), becomes
//    log_softmax_nll_grad(x, seed, labels). It reads x instead of ls, so that afterwards ls is read
//    only by nll_loss (when nothing else reads it) and the forward can fuse in the next sweep.
//  - fusing: nll_loss(log_softmax(x, 1), labels) becomes log_softmax_nll(x, labels) when the loss is
//    the only reader of ls (not when ls is also fetched, or read by accuracy in evaluation).
import { logSoftmaxGradOp, logSoftmaxOp } from '../../ops/log-softmax';
import { logSoftmaxNllOp } from '../../ops/log-softmax-nll';
import { logSoftmaxNllGradOp } from '../../ops/log-softmax-nll-grad';
import { nllLossGradOp, nllLossOp } from '../../ops/nll-loss';
import type { SoftmaxAttrs } from '../../ops/softmax';
import type { Tensor } from '../tensor';
import type { FusionRule } from './rule';

/** True when `t` is log_softmax over the class axis (axis 1) of a [batch, classes] tensor. */
function isClassLogSoftmax(t: Tensor): boolean {
  return t.op === logSoftmaxOp && t.rank === 2 && (t.attrs as SoftmaxAttrs).axis === 1;
}

export const logSoftmaxNllGradRule: FusionRule = {
  name: 'log-softmax-nll-grad',
  apply(node, ctx) {
    if (node.op !== logSoftmaxGradOp) return null;
    const [ls, dls] = node.inputs as [Tensor, Tensor];
    if (!isClassLogSoftmax(ls) || (node.attrs as SoftmaxAttrs).axis !== 1) return null;
    // The nll gradient must have no other reader, or its kernel would stay and nothing is saved.
    if (dls.op !== nllLossGradOp || ctx.uses(dls) !== 1) return null;
    const [seed, labels] = dls.inputs as [Tensor, Tensor];
    return ctx.node(logSoftmaxNllGradOp, [ls.inputs[0]!, seed, labels], {});
  },
};

export const logSoftmaxNllRule: FusionRule = {
  name: 'log-softmax-nll',
  apply(node, ctx) {
    if (node.op !== nllLossOp) return null;
    const [ls, labels] = node.inputs as [Tensor, Tensor];
    if (!isClassLogSoftmax(ls) || ctx.uses(ls) !== 1) return null;
    return ctx.node(logSoftmaxNllOp, [ls.inputs[0]!, labels], {});
  },
};
