// Every parameter's SGD step in one dispatch. The fusion pass (src/graph/fusion/flat-sgd.ts) makes
// this node from the per-parameter sgd_update nodes once the parameters, their momentum buffers and
// their gradients sit in three buffers with one shared layout: then the update is the same kernel as
// sgd_update (shaders/sgd_update.wgsl) run over the three spans, element i of each belonging to the
// same parameter. The alignment gaps between members hold zeros in all three and stay zero.
import code from '../../shaders/sgd_update.wgsl';
import { fmt, sameShape, ShapeError } from '../graph/shape';
import type { PackLayout } from '../graph/variable-pack';
import { NO_VALUE } from './effect';
import { defineOp, dispatch1d, type CpuTensor, type KernelCall } from './op';
import { SGD_PER_INVOCATION, sgdUpdateOp, type SgdAttrs } from './sgd-update';

export interface SgdFlatAttrs extends SgdAttrs {
  /** Number of parameters n: the inputs are p_1..p_n, g_1..g_n, hyper, then v_1..v_n with momentum. */
  count: number;
  /** Byte offsets of the members inside each of the three buffers. */
  layout: PackLayout;
}

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

export const sgdUpdateFlatOp = defineOp<SgdFlatAttrs>({
  name: 'sgd_update_flat',
  effect: true,
  infer(inputs, { count, layout }) {
    const momentum = inputs.length === 3 * count + 1;
    if (count < 1 || (!momentum && inputs.length !== 2 * count + 1))
      throw new ShapeError(`sgd_update_flat: ${inputs.length} inputs do not fit ${count} parameters`);
    if (layout.offsets.length !== count) throw new ShapeError(`sgd_update_flat: the layout has ${layout.offsets.length} members for ${count} parameters`);
    for (let i = 0; i < count; i++) {
      const p = inputs[i]!;
      const g = inputs[count + i]!;
      const v = momentum ? inputs[2 * count + 1 + i]! : p;
      if (p.dtype !== 'f32' || !sameShape(p.shape, g.shape) || !sameShape(p.shape, v.shape)) {
        throw new ShapeError(`sgd_update_flat: parameter ${i} ${fmt(p.shape)}, gradient ${fmt(g.shape)} and velocity ${fmt(v.shape)} must be f32 of one shape`);
      }
    }
    const hyper = inputs[2 * count]!;
    if (hyper.shape.length !== 1 || hyper.shape[0] !== 4) throw new ShapeError(`sgd_update_flat: hyperparameters must be [4], got ${fmt(hyper.shape)}`);
    return NO_VALUE;
  },
  lower(node, { count, nesterov, layout }): KernelCall[] {
    const n = layout.bytes / 4;
    const momentum = node.inputs.length === 3 * count + 1;
    const spans = { params: range(0, count), grads: range(count, count), velocities: range(2 * count + 1, count) };
    return [
      {
        label: 'sgd_update_flat',
        code,
        entryPoint: momentum ? 'momentum' : 'plain',
        constants: momentum ? { N: n, NESTEROV: nesterov ? 1 : 0 } : ({ N: n } as Record<string, number>),
        bindings: [{ span: spans.params }, { span: spans.grads }, { input: 2 * count }, ...(momentum ? [{ span: spans.velocities }] : [])],
        workgroups: dispatch1d(Math.ceil(n / SGD_PER_INVOCATION)),
      },
    ];
  },
  /** As for every effect, the new value of the first input (the first parameter). */
  cpu(inputs, { count, nesterov }, out) {
    const momentum = inputs.length === 3 * count + 1;
    const first: CpuTensor[] = [inputs[0]!, inputs[count]!, inputs[2 * count]!, ...(momentum ? [inputs[2 * count + 1]!] : [])];
    return sgdUpdateOp.cpu(first, { nesterov }, out);
  },
});
