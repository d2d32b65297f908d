// sum_squares over gradients that a flat optimizer update pinned side by side (gradient clipping's
// norm) becomes one sum_squares_span dispatch over one binding of them all, instead of a dispatch per
// 7 gradients bound one by one. It runs once the flat update is placed, when the layout is known.
import { SUM_SQUARES_SPAN_MAX, sumSquaresOp, sumSquaresSpanOp, type SumSquaresSpanAttrs } from '../../ops/sum-squares';
import { storageRoot } from '../memory-plan';
import type { Tensor } from '../tensor';
import type { FlatUpdate } from './flat-update';
import type { FusionRule } from './rule';
import { sweep, type FusedSchedule } from './sweep';

/** The schedule with each sum_squares whose inputs are all of `flat`'s pinned gradients read through one span. */
export function spanSumSquares(schedule: readonly Tensor[], outputs: readonly Tensor[], flat: FlatUpdate): FusedSchedule {
  const member = new Map(flat.grads.map((g, i) => [g, i]));
  const rule: FusionRule = {
    name: 'span-sum-squares',
    apply(node, ctx) {
      if (node.op !== sumSquaresOp || node.inputs.length > SUM_SQUARES_SPAN_MAX) return null;
      // A view of a pinned gradient (a bias's, reshaped) has its root's bytes.
      const order = node.inputs.map((x) => member.get(storageRoot(x)) ?? -1);
      if (order.includes(-1)) return null;
      const attrs: SumSquaresSpanAttrs = { order, layout: flat.layout };
      return ctx.node(sumSquaresSpanOp, flat.grads, attrs, node.name);
    },
  };
  return sweep(schedule, outputs, [rule]);
}
