// Chains of elementwise ops become one fused_elementwise kernel: a node absorbs an elementwise input
// that nothing else reads. An input smaller than the node (broadcast into it) is recomputed for each
// output element, which costs a few ALU operations where the unfused step paid a kernel and a round
// trip through memory. The sweep applies the rule until it stops firing, so a chain grows one
// producer at a time.
import { elementwiseSpec, MAX_INPUTS } from '../../ops/elementwise';
import { fusedElementwiseOp, type FusedArg, type FusedElementwiseAttrs, type FusedStep } from '../../ops/fused-elementwise';
import type { Tensor } from '../tensor';
import type { FusionRule } from './rule';

interface Chain {
  leaves: readonly Tensor[];
  steps: readonly FusedStep[];
}

/** The node as a chain of steps over its inputs, or null when it is not an elementwise map. */
function chainOf(t: Tensor): Chain | null {
  if (t.kind !== 'op' || !t.op) return null;
  if (t.op === fusedElementwiseOp) return { leaves: t.inputs, steps: (t.attrs as FusedElementwiseAttrs).steps };
  const spec = elementwiseSpec(t.op);
  if (!spec || spec.outShape || t.dtype !== 'f32') return null;
  return { leaves: t.inputs, steps: [{ op: t.op, attrs: t.attrs, args: t.inputs.map((_, k) => ({ leaf: k })) }] };
}

/** The consumer's chain with `producer` (one of its leaves) computed inline before it. */
function absorb(consumer: Chain, producer: Tensor, inner: Chain): Chain {
  const leaves: Tensor[] = [];
  const leafIndex = (t: Tensor) => {
    const found = leaves.indexOf(t);
    if (found >= 0) return found;
    leaves.push(t);
    return leaves.length - 1;
  };
  const innerLeaf = inner.leaves.map(leafIndex);
  const steps: FusedStep[] = inner.steps.map((s) => ({ ...s, args: s.args.map((a): FusedArg => ('leaf' in a ? { leaf: innerLeaf[a.leaf]! } : a)) }));
  const producerStep = steps.length - 1;
  const outerArg = (a: FusedArg): FusedArg => {
    if ('step' in a) return { step: a.step + inner.steps.length };
    const t = consumer.leaves[a.leaf]!;
    return t === producer ? { step: producerStep } : { leaf: leafIndex(t) };
  };
  for (const s of consumer.steps) steps.push({ ...s, args: s.args.map(outerArg) });
  return { leaves, steps };
}

export const elementwiseChain: FusionRule = {
  name: 'elementwise-chain',
  apply(node, ctx) {
    const outer = chainOf(node);
    if (!outer) return null;
    for (const producer of new Set(node.inputs)) {
      if (ctx.uses(producer) !== 1) continue;
      const inner = chainOf(producer);
      if (!inner) continue;
      const merged = absorb(outer, producer, inner);
      if (merged.leaves.length > MAX_INPUTS) continue;
      const attrs: FusedElementwiseAttrs = { steps: merged.steps };
      return ctx.node(fusedElementwiseOp, merged.leaves, attrs, merged.steps.map((s) => s.op.name).join('+'));
    }
    return null;
  },
};
