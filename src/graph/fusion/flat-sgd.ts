// The optimizer update of every parameter in one dispatch. The step's sgd_update nodes become one
// sgd_update_flat node when the parameters can be packed into one buffer (and their momentum buffers
// into another, with the same layout) and their gradients can be pinned at the same offsets of a third
// buffer by the memory plan. Program.compile does the packing and pinning; this pass only decides
// whether the step allows it and builds the node.
import type { Device } from '../../device/device';
import { sgdUpdateOp, type SgdAttrs } from '../../ops/sgd-update';
import { sgdUpdateFlatOp, type SgdFlatAttrs } from '../../ops/sgd-update-flat';
import { storageRoot } from '../memory-plan';
import type { Tensor } from '../tensor';
import type { Variable } from '../variable';
import { packLayout, VariablePack, type PackLayout } from '../variable-pack';
import { detachedNode } from './sweep';

export interface FlatSgd {
  /** The sgd_update_flat node that replaces the per-parameter updates. */
  node: Tensor;
  params: Variable[];
  /** Momentum buffers in the parameters' order, or null for plain SGD. */
  velocities: Variable[] | null;
  /** The tensors holding the gradients (storage roots), to be placed at layout's offsets in one buffer. */
  grads: Tensor[];
  layout: PackLayout;
}

export interface FlatSgdLimits {
  /** Binding offset alignment (minStorageBufferOffsetAlignment). */
  alignment: number;
  /** The whole span is one binding: at most maxStorageBufferBindingSize bytes. */
  maxBindingBytes: number;
}

/** The schedule with one flat update in place of its sgd_update nodes, or null when they cannot share a layout. */
export function flattenSgdUpdates(schedule: readonly Tensor[], limits: FlatSgdLimits): { schedule: Tensor[]; flat: FlatSgd } | null {
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
  const roots = grads.map(storageRoot);
  const variables = [...params, ...velocities];
  if (variables.some((t) => t.kind !== 'variable' || t.dtype !== 'f32') || new Set(variables).size !== variables.length) return null;
  // Each gradient needs its own slot of the pinned buffer, computed by a kernel that reads no other
  // pinned gradient (a kernel may not read and write one buffer).
  const pinned = new Set(roots);
  if (pinned.size !== roots.length || roots.some((r, i) => r.kind !== 'op' || r.isEffect || r.byteLength !== grads[i]!.byteLength)) return null;
  if (roots.some((r) => r.inputs.some((x) => pinned.has(storageRoot(x))))) return null;

  const layout = packLayout(
    params.map((p) => p.byteLength),
    limits.alignment,
  );
  if (layout.bytes > limits.maxBindingBytes) return null;
  const attrs: SgdFlatAttrs = { nesterov, count: updates.length, layout };
  const node = detachedNode(sgdUpdateFlatOp, [...params, ...grads, hyper, ...velocities], attrs, 'sgd_update_flat');
  const at = schedule.indexOf(first);
  const rest = schedule.filter((n) => n.op !== sgdUpdateOp);
  rest.splice(rest.indexOf(schedule[at - 1]!) + 1, 0, node);
  return {
    schedule: rest,
    flat: { node, params: params.map((p) => p.variable!), velocities: momentum ? velocities.map((v) => v.variable!) : null, grads: roots, layout },
  };
}

/**
 * Packs the parameters and momentum buffers as `flat` needs them, or finds them packed so by an earlier
 * program over the same model. False when either set already has other GPU storage: the caller then
 * keeps the per-parameter updates.
 */
export function placeForFlatSgd(device: Device, flat: FlatSgd): boolean {
  const groups = [flat.params, ...(flat.velocities ? [flat.velocities] : [])];
  const state = groups.map((vars) => {
    if (vars.every((v) => !v.onGpu)) return 'free';
    const pack = vars[0]!.placement?.shared;
    return pack instanceof VariablePack && pack.holds(vars) && sameLayout(pack.layout, flat.layout) ? 'packed' : 'elsewhere';
  });
  if (state.includes('elsewhere')) return false;
  groups.forEach((vars, i) => {
    if (state[i] === 'free') VariablePack.create(device, i === 0 ? 'parameters' : 'momentum', vars, flat.layout);
  });
  return true;
}

function sameLayout(a: PackLayout, b: PackLayout): boolean {
  return a.bytes === b.bytes && a.offsets.length === b.offsets.length && a.offsets.every((o, i) => o === b.offsets[i]);
}
