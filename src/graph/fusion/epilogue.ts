// Epilogue rules: a bias add and a relu that follow a matmul or a conv2d are done by that kernel on
// its accumulators before the store, so the product is written once and never read back. They need
// the product to have no other reader (uses == 1): its value before the epilogue is gone afterwards.
// They go before the elementwise-chain rule, which would otherwise claim the add or the relu.
import { addOp } from '../../ops/add';
import { conv2dOp, type Conv2dForwardAttrs } from '../../ops/conv2d';
import { isRowBias, matmulOp, type MatmulAttrs } from '../../ops/matmul';
import type { AnyOpDef } from '../../ops/op';
import { reluOp } from '../../ops/relu';
import type { Tensor } from '../tensor';
import type { FusionContext, FusionRule } from './rule';

/** `t` when it is a product of `op` that only the node being rewritten reads, else null. */
function soleProduct(t: Tensor, op: AnyOpDef, ctx: FusionContext): Tensor | null {
  return t.op === op && ctx.uses(t) === 1 ? t : null;
}

/** relu(conv2d(x, w, b)) -> conv2d(x, w, b) with relu set: max(., 0) after the bias. */
export const conv2dRelu: FusionRule = {
  name: 'conv2d-relu',
  apply(node, ctx) {
    if (node.op !== reluOp) return null;
    const conv = soleProduct(node.inputs[0]!, conv2dOp, ctx);
    if (!conv) return null;
    const attrs: Conv2dForwardAttrs = { ...(conv.attrs as Conv2dForwardAttrs), relu: true };
    return ctx.node(conv2dOp, conv.inputs, attrs, `${conv.name}+relu`);
  },
};

/**
 * add(matmul(a, b), bias) or add(bias, matmul(a, b)) -> matmul(a, b, bias) for a bias of f32 [N] or
 * [1,N]: the add broadcasts it over the rows of the [M,N] product, which is what the kernel does.
 * Not when the product already has an epilogue (a bias, or a relu that must come after the add).
 */
export const matmulBias: FusionRule = {
  name: 'matmul-bias',
  apply(node, ctx) {
    if (node.op !== addOp) return null;
    const [x, y] = node.inputs as [Tensor, Tensor];
    for (const [product, bias] of [
      [x, y],
      [y, x],
    ] as const) {
      const mm = soleProduct(product, matmulOp, ctx);
      if (!mm || mm.inputs.length !== 2 || (mm.attrs as MatmulAttrs).relu) continue;
      if (!isRowBias(bias, mm.shape[1]!)) continue;
      return ctx.node(matmulOp, [...mm.inputs, bias], mm.attrs, `${mm.name}+bias`);
    }
    return null;
  },
};

/** relu(matmul(...)) -> matmul(...) with relu set: max(., 0) after the product and its bias. */
export const matmulRelu: FusionRule = {
  name: 'matmul-relu',
  apply(node, ctx) {
    if (node.op !== reluOp) return null;
    const mm = soleProduct(node.inputs[0]!, matmulOp, ctx);
    if (!mm) return null;
    const attrs: MatmulAttrs = { ...(mm.attrs as MatmulAttrs), relu: true };
    return ctx.node(matmulOp, mm.inputs, attrs, `${mm.name}+relu`);
  },
};
