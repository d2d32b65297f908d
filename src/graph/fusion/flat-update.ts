// What the flat optimizer passes (flat-sgd.ts, flat-adam.ts) share. A flat update replaces a step's
// per-parameter updates with one node over three kinds of spans: the parameters packed in one buffer,
// each kind of optimizer state (momentum; Adam's m and v) packed in a buffer of its own with the same
// layout, and the gradients pinned at the same offsets of one buffer by the memory plan. Program.compile
// asks each pass in turn, packs the variables (placeForFlatUpdate) and pins the gradients.
import type { Device } from '../../device/device';
import { storageRoot } from '../memory-plan';
import type { Tensor } from '../tensor';
import type { Variable } from '../variable';
import { VariablePack, type PackLayout } from '../variable-pack';

export interface FlatUpdate {
  /** The node that replaces the per-parameter updates. */
  node: Tensor;
  /** The variables to pack, each group in a buffer of its own with `layout`: the parameters first. */
  packs: { label: string; variables: Variable[] }[];
  /** The tensors holding the gradients (storage roots), to be placed at layout's offsets in one buffer. */
  grads: Tensor[];
  layout: PackLayout;
}

export interface FlatLimits {
  /** Binding offset alignment (minStorageBufferOffsetAlignment). */
  alignment: number;
  /** Each span is one binding: at most maxStorageBufferBindingSize bytes. */
  maxBindingBytes: number;
}

/** The gradients' storage roots, or null when they cannot be pinned side by side in one buffer. */
export function pinnableGradients(grads: readonly Tensor[]): Tensor[] | null {
  const roots = grads.map(storageRoot);
  // Each gradient needs its own slot of the pinned buffer, computed by a kernel that reads no other
  // pinned gradient (a kernel may not read and write one buffer).
  const pinned = new Set(roots);
  if (pinned.size !== roots.length || roots.some((r, i) => r.kind !== 'op' || r.isEffect || r.byteLength !== grads[i]!.byteLength)) return null;
  if (roots.some((r) => r.inputs.some((x) => pinned.has(storageRoot(x))))) return null;
  return roots;
}

/** Whether the tensors are distinct f32 variables (what a pack can hold). */
export function packable(tensors: readonly Tensor[]): boolean {
  return tensors.every((t) => t.kind === 'variable' && t.dtype === 'f32') && new Set(tensors).size === tensors.length;
}

/** The schedule without `updates`, with `node` where the first of them ran. */
export function replaceUpdates(schedule: readonly Tensor[], updates: readonly Tensor[], node: Tensor): Tensor[] {
  const replaced = new Set(updates);
  const at = schedule.indexOf(updates[0]!);
  const rest = schedule.filter((n) => !replaced.has(n));
  rest.splice(rest.indexOf(schedule[at - 1]!) + 1, 0, node);
  return rest;
}

/**
 * Packs the variables as `flat` needs them, or finds them packed so by an earlier program over the
 * same model. False when a group already has other GPU storage: the caller then keeps the
 * per-parameter updates.
 */
export function placeForFlatUpdate(device: Device, flat: FlatUpdate): boolean {
  const state = flat.packs.map(({ variables }) => {
    if (variables.every((v) => !v.onGpu)) return 'free';
    const pack = variables[0]!.placement?.shared;
    return pack instanceof VariablePack && pack.holds(variables) && sameLayout(pack.layout, flat.layout) ? 'packed' : 'elsewhere';
  });
  if (state.includes('elsewhere')) return false;
  flat.packs.forEach(({ label, variables }, i) => {
    if (state[i] === 'free') VariablePack.create(device, label, variables, flat.layout);
  });
  return true;
}

function sameLayout(a: PackLayout, b: PackLayout): boolean {
  return a.bytes === b.bytes && a.offsets.length === b.offsets.length && a.offsets.every((o, i) => o === b.offsets[i]);
}
