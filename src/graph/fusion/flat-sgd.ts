// The SGD update of every parameter in one dispatch: the step's sgd_update nodes become one
// sgd_update_flat node when the parameters (and their momentum buffers) can be packed and their
// gradients pinned with one layout (src/graph/fusion/flat-update.ts). This pass only decides whether
// the step allows it and builds the node.
import { sgdUpdateOp, type SgdAttrs } from '../../ops/sgd-update';
import { sgdUpdateFlatOp, type SgdFlatAttrs } from '../../ops/sgd-update-flat';
import type { Tensor } from '../tensor';
import { packLayout } from '../variable-pack';
import { packable, pinnableGradients, replaceUpdates, type FlatLimits, type FlatUpdate } from './flat-update';
import { detachedNode } from './sweep';

/** The schedule with one flat update in place of its sgd_update nodes, or null when they cannot share a layout. */
export function flattenSgdUpdates(schedule: readonly Tensor[], limits: FlatLimits): { schedule: Tensor[]; flat: FlatUpdate } | null {
  const updates = schedule.filter((n) => n.op === sgdUpdateOp);
  if (updates.length < 2) return null;
  const [first] = updates as [Tensor];
  const momentum = first.inputs.length === 4;
  const nesterov = (first.attrs as SgdAttrs).nesterov;
  const hyper = first.inputs[2]!;
  const sameKind = updates.every((u) => u.inputs.length === first.inputs.length && u.inputs[2] === hyper && (u.attrs as SgdAttrs).nesterov === nesterov);
  if (!sameKind) return null;

  const params = updates.map((u) => u.inputs[0]!);
  const velocities = momentum ? updates.map((u) => u.inputs[3]!) : [];
  const grads = updates.map((u) => u.inputs[1]!);
  const roots = pinnableGradients(grads);
  if (!roots || !packable([...params, ...velocities])) return null;

  const layout = packLayout(
    params.map((p) => p.byteLength),
    limits.alignment,
  );
  if (layout.bytes > limits.maxBindingBytes) return null;
  const attrs: SgdFlatAttrs = { nesterov, count: updates.length, layout };
  const node = detachedNode(sgdUpdateFlatOp, [...params, ...grads, hyper, ...velocities], attrs, 'sgd_update_flat');
  const packs = [{ label: 'parameters', variables: params.map((p) => p.variable!) }];
  if (momentum) packs.push({ label: 'momentum', variables: velocities.map((v) => v.variable!) });
  return { schedule: replaceUpdates(schedule, updates, node), flat: { node, packs, grads: roots, layout } };
}
