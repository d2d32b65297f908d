// Static memory planning: the schedule of a step is fixed, so the lifetime of every intermediate
// tensor is known at compile time. Tensors whose lifetimes do not overlap share a buffer ("slot").
// Slots are separate buffers rather than offsets into one arena because WebGPU forbids binding one
// buffer twice in a dispatch when either binding is writable.
import type { Tensor } from './tensor';

export interface PlannedSlot {
  bytes: number;
  tenants: Tensor[];
}

export interface MemoryPlan {
  /** The slot index of each planned tensor (op outputs that are neither views nor effects). */
  slotOf: Map<Tensor, number>;
  slots: PlannedSlot[];
  /** Bytes the tensors would need without sharing: what planning saved is this minus the slots' sum. */
  unplannedBytes: number;
}

/** The tensor that owns the storage `t` reads: itself, or for views the storage they look into. */
export function storageRoot(t: Tensor): Tensor {
  let s = t;
  while (s.op?.view) s = s.inputs[0]!;
  return s;
}

/**
 * Greedy interval assignment in schedule order: a tensor takes the free slot whose size fits most
 * tightly, else grows the largest free slot, else opens a new one. `schedule` lists the kernel nodes in
 * execution order; `keep` holds tensors that must survive to the end of the step (fetched outputs).
 */
export function planMemory(schedule: readonly Tensor[], keep: ReadonlySet<Tensor>): MemoryPlan {
  const planned = schedule.filter((t) => !t.isEffect && !t.op?.view);
  const defined = new Map<Tensor, number>();
  schedule.forEach((t, i) => defined.set(t, i));
  const lastUse = new Map<Tensor, number>();
  for (const t of planned) lastUse.set(t, keep.has(t) ? Infinity : defined.get(t)!);
  // A view keeps its root alive for as long as the view is used.
  const touch = (t: Tensor, time: number) => {
    const root = storageRoot(t);
    if (lastUse.has(root) && lastUse.get(root)! < time) lastUse.set(root, time);
  };
  schedule.forEach((node, time) => node.inputs.forEach((x) => touch(x, time)));
  for (const t of keep) touch(t, Infinity);

  const slots: PlannedSlot[] = [];
  const busyUntil: number[] = [];
  const slotOf = new Map<Tensor, number>();
  let unplannedBytes = 0;
  for (const t of planned) {
    const time = defined.get(t)!;
    const bytes = t.byteLength;
    unplannedBytes += bytes;
    let best = -1;
    for (let s = 0; s < slots.length; s++) {
      if (busyUntil[s]! >= time) continue;
      const fits = slots[s]!.bytes >= bytes;
      if (best < 0) best = s;
      else {
        const bestFits = slots[best]!.bytes >= bytes;
        if (fits && (!bestFits || slots[s]!.bytes < slots[best]!.bytes)) best = s;
        else if (!fits && !bestFits && slots[s]!.bytes > slots[best]!.bytes) best = s;
      }
    }
    if (best < 0) {
      best = slots.length;
      slots.push({ bytes: 0, tenants: [] });
      busyUntil.push(-1);
    }
    const slot = slots[best]!;
    slot.bytes = Math.max(slot.bytes, bytes);
    slot.tenants.push(t);
    busyUntil[best] = lastUse.get(t)!;
    slotOf.set(t, best);
  }
  return { slotOf, slots, unplannedBytes };
}
