// Every parameter's Adam or AdamW step in one dispatch. The fusion pass (src/graph/fusion/flat-adam.ts)
// makes this node from the per-parameter adam_update nodes once the parameters, m, v and the
// gradients sit in four buffers with one shared layout, the parameters that decay first: then the
// update is shaders/adam_update.wgsl run over the four spans, with the elements before DECAY_END
// decaying. The alignment gaps between members hold zeros in all four and stay zero.
import code from '../../shaders/adam_update.wgsl';
import { ShapeError } from '../graph/shape';
import type { PackLayout } from '../graph/variable-pack';
import { adamUpdateOp } from './adam-update';
import { NO_VALUE } from './effect';
import { defineOp, dispatch1d, type KernelCall } from './op';

export interface AdamFlatAttrs {
  decoupled: boolean;
  /** Number of parameters n: the inputs are p_1..p_n, g_1..g_n, hyper, m_1..m_n, v_1..v_n, step, then the gradients' factor if any. */
  count: number;
  /** How many of the parameters (the first ones) decay. */
  decaying: number;
  /** Byte offsets of the members inside each of the four buffers. */
  layout: PackLayout;
}

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

/** Member i's inputs in adam_update's order: parameter, gradient, hyper, m, v, step (and the factor). */
function memberInputs<T>(inputs: readonly T[], count: number, i: number): T[] {
  const own = [inputs[i]!, inputs[count + i]!, inputs[2 * count]!, inputs[2 * count + 1 + i]!, inputs[3 * count + 1 + i]!, inputs[4 * count + 1]!];
  return inputs.length === 4 * count + 3 ? [...own, inputs[4 * count + 2]!] : own;
}

export const adamUpdateFlatOp = defineOp<AdamFlatAttrs>({
  name: 'adam_update_flat',
  effect: true,
  madeBy: 'the flat-adam fusion pass (test/fusion-flat-adam.test.ts)',
  infer(inputs, { count, decaying, layout }) {
    const scaled = inputs.length === 4 * count + 3;
    if (count < 1 || (!scaled && inputs.length !== 4 * count + 2))
      throw new ShapeError(`adam_update_flat: ${inputs.length} inputs do not fit ${count} parameters`);
    if (layout.offsets.length !== count) throw new ShapeError(`adam_update_flat: the layout has ${layout.offsets.length} members for ${count} parameters`);
    if (decaying < 0 || decaying > count) throw new ShapeError(`adam_update_flat: ${decaying} decaying parameters of ${count}`);
    // Each member is one adam_update's inputs, checked by its rule.
    for (let i = 0; i < count; i++) adamUpdateOp.infer(memberInputs(inputs, count, i), { decoupled: false, decay: true });
    return NO_VALUE;
  },
  lower(node, { decoupled, count, decaying, layout }): KernelCall[] {
    const n = layout.bytes / 4;
    const scaled = node.inputs.length === 4 * count + 3;
    // The decaying parameters come first; they end where the first one that does not decay starts.
    const decayEnd = decaying === count ? n : layout.offsets[decaying]! / 4;
    return [
      {
        label: 'adam_update_flat',
        code,
        entryPoint: scaled ? 'scaled' : 'main',
        constants: { N: n, DECOUPLED: decoupled ? 1 : 0, DECAY_END: decayEnd },
        bindings: [
          { span: range(0, count) },
          { span: range(count, count) },
          { input: 2 * count },
          { span: range(2 * count + 1, count) },
          { span: range(3 * count + 1, count) },
          { input: 4 * count + 1 },
          ...(scaled ? [{ input: 4 * count + 2 }] : []),
        ],
        workgroups: dispatch1d(n),
      },
    ];
  },
  /** As for every effect, the new value of the first input (the first parameter). */
  cpu(inputs, { decoupled, count, decaying }, out) {
    return adamUpdateOp.cpu(memberInputs(inputs, count, 0), { decoupled, decay: decaying > 0 }, out);
  },
});
