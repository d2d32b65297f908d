// adam_update(p, g * s, ...) with s a single element becomes adam_update(p, g, ..., s): gradient
// clipping (src/train/grad-clip.ts) multiplies every gradient by one factor, and a multiply per
// gradient is a dispatch and a gradient-sized copy each; the update's `scaled` entry reads the factor
// itself. A canonicalising rule, so that it sees the multiply before an elementwise chain absorbs it.
import { adamUpdateOp } from '../../ops/adam-update';
import { mulOp } from '../../ops/mul';
import { sameShape } from '../shape';
import type { FusionRule } from './rule';

export const updateGradScale: FusionRule = {
  name: 'update-grad-scale',
  apply(node, ctx) {
    if (node.op !== adamUpdateOp || node.inputs.length !== 6) return null;
    const [p, scaled, ...rest] = node.inputs;
    if (!p || !scaled || scaled.op !== mulOp || ctx.uses(scaled) !== 1) return null;
    const [a, b] = scaled.inputs;
    if (!a || !b) return null;
    // The gradient is the operand of the parameter's shape; the factor, the one-element other.
    const [g, s] = sameShape(a.shape, p.shape) && b.size === 1 ? [a, b] : sameShape(b.shape, p.shape) && a.size === 1 ? [b, a] : [null, null];
    if (!g || !s || g.dtype !== 'f32' || s.dtype !== 'f32') return null;
    return ctx.node(adamUpdateOp, [p, g, ...rest, s], node.attrs, node.name);
  },
};
