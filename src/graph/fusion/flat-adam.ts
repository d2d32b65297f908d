// The Adam or AdamW update of every parameter in one dispatch: the step's adam_update nodes become one
// adam_update_flat node when the parameters, m and v can be packed and the gradients pinned with one
// layout (src/graph/fusion/flat-update.ts). Weight decay is per parameter (AdamW leaves biases and
// norms undecayed), so the layout puts the decaying parameters first and the kernel tells them apart
// by position. All the updates must share their hyperparameters, step count and gradient factor.
import { adamUpdateOp, type AdamUpdateAttrs } from '../../ops/adam-update';
import { adamUpdateFlatOp, type AdamFlatAttrs } from '../../ops/adam-update-flat';
import type { Tensor } from '../tensor';
import { packLayout } from '../variable-pack';
import { packable, pinnableGradients, replaceUpdates, type FlatLimits, type FlatUpdate } from './flat-update';
import { detachedNode } from './sweep';

/** The schedule with one flat update in place of its adam_update nodes, or null when they cannot share a layout. */
export function flattenAdamUpdates(schedule: readonly Tensor[], limits: FlatLimits): { schedule: Tensor[]; flat: FlatUpdate } | null {
  const updates = schedule.filter((n) => n.op === adamUpdateOp);
  if (updates.length < 2) return null;
  const [first] = updates as [Tensor];
  const { decoupled } = first.attrs as AdamUpdateAttrs;
  // hyper, step and the optional factor: the same tensors in every update.
  const shared = (u: Tensor) => [u.inputs[2], u.inputs[5], u.inputs[6]];
  const sameKind = updates.every(
    (u) => u.inputs.length === first.inputs.length && (u.attrs as AdamUpdateAttrs).decoupled === decoupled && shared(u).every((t, i) => t === shared(first)[i]),
  );
  if (!sameKind) return null;

  // The decaying parameters first, each group in the step's order.
  const decays = (u: Tensor) => (u.attrs as AdamUpdateAttrs).decay;
  const ordered = [...updates.filter(decays), ...updates.filter((u) => !decays(u))];
  const params = ordered.map((u) => u.inputs[0]!);
  const grads = ordered.map((u) => u.inputs[1]!);
  const ms = ordered.map((u) => u.inputs[3]!);
  const vs = ordered.map((u) => u.inputs[4]!);
  const roots = pinnableGradients(grads);
  if (!roots || !packable([...params, ...ms, ...vs])) return null;

  const layout = packLayout(
    params.map((p) => p.byteLength),
    limits.alignment,
  );
  if (layout.bytes > limits.maxBindingBytes) return null;
  const attrs: AdamFlatAttrs = { decoupled, count: ordered.length, decaying: ordered.filter(decays).length, layout };
  const [hyper, step, scale] = shared(first);
  const inputs = [...params, ...grads, hyper!, ...ms, ...vs, step!, ...(scale ? [scale] : [])];
  const node = detachedNode(adamUpdateFlatOp, inputs, attrs, 'adam_update_flat');
  const packs = [
    { label: 'parameters', variables: params.map((p) => p.variable!) },
    { label: 'adam-m', variables: ms.map((m) => m.variable!) },
    { label: 'adam-v', variables: vs.map((v) => v.variable!) },
  ];
  return { schedule: replaceUpdates(schedule, updates, node), flat: { node, packs, grads: roots, layout } };
}
