// Static memory planning: the schedule of a step is fixed, so the lifetime of every intermediate
// tensor is known at compile time. Intermediates live at offsets inside a few large buffers
// ("arenas"); tensors whose lifetimes do not overlap may share bytes.
//
// Why several arenas and not one: WebGPU tracks usage per buffer, not per byte range, so a dispatch
// may not bind a buffer as writable storage together with any other binding of that same buffer,
// even a disjoint range. Every node's written tensor must therefore live in an arena that none of the
// other tensors it binds lives in. The arenas are a colouring of that conflict graph (2-4 colours for
// the graphs we build); inside each arena, offsets are packed by liveness.
//
// A pure function of the schedule: no device, so tests can check the plan alone.
import { colourArenas, type ColouringProblem } from './arena-colouring';
import type { Tensor } from './tensor';

export interface PlanOptions {
  /** Every offset is a multiple of this: the device's minStorageBufferOffsetAlignment (256 by default). */
  offsetAlignment?: number;
  /** No arena grows past this (the device's maxBufferSize); another arena opens instead. */
  maxArenaBytes?: number;
  /** Tensors that must sit side by side in one arena, each at its offset from the group's start. */
  pinned?: readonly PinnedGroup[];
}

/**
 * Intermediates bound together by one span binding (a flat optimizer update reads every gradient
 * through one binding): one arena, at `offsets` from an aligned start. The group's bytes are reserved
 * for the whole step, so its gaps are never written and keep the zeros the buffer was created with.
 */
export interface PinnedGroup {
  /** Planned tensors (op outputs that are neither views nor effects). */
  tensors: readonly Tensor[];
  /** Byte offset of each tensor from the group's start, multiples of the offset alignment. */
  offsets: readonly number[];
  /** From the group's start to the last tensor's end. */
  bytes: number;
}

/** Where one tensor's bytes are: `bytes` is the binding size (its byte length rounded up to 4). */
export interface Placement {
  arena: number;
  offset: number;
  bytes: number;
}

export interface Arena {
  /** The arena's size: the highest end of any placement in it. */
  bytes: number;
  /** Its tensors in schedule order. */
  tenants: Tensor[];
}

/** The schedule steps during which a tensor's bytes must stay intact, both ends included. */
export interface Lifetime {
  first: number;
  last: number;
}

export interface MemoryPlan {
  /** The arena and offset of each planned tensor (op outputs that are neither views nor effects). */
  placements: Map<Tensor, Placement>;
  arenas: Arena[];
  lifetimes: Map<Tensor, Lifetime>;
  /** Offsets of the constants the step reads in the one constant buffer (read-only, so sharing is safe). */
  constants: Map<Tensor, number>;
  constantBytes: number;
  /** Bytes the intermediates would need in buffers of their own: what planning saved is this minus the arenas. */
  unplannedBytes: number;
  /** The most intermediate bytes live at one step of the schedule: no plan can use fewer. */
  largestLiveBytes: number;
  offsetAlignment: number;
}

/** The tensor that owns the storage `t` reads: itself, or for views the storage they look into. */
export function storageRoot(t: Tensor): Tensor {
  let s = t;
  while (s.op?.view) s = s.inputs[0]!;
  return s;
}

/** A binding's size: WebGPU wants storage binding sizes in multiples of 4 bytes. */
export function bindingBytes(t: Tensor): number {
  return Math.max(4, Math.ceil(t.byteLength / 4) * 4);
}

export function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

/**
 * The tensors a kernel node writes: its output, or for an effect its first input (the op contract:
 * effects update input 0 in place). Kernels that write more inputs (Adam's moments) write variables,
 * which have buffers of their own; makeDispatch checks the WGSL and refuses any aliasing it missed.
 */
export function writtenBy(node: Tensor): Tensor {
  return node.isEffect ? storageRoot(node.inputs[0]!) : node;
}

/**
 * What the planner places: a tensor alone, or a pinned group as one block. `life` is when its bytes
 * are reserved; members sit at `offsets` from the unit's start.
 */
interface Unit {
  members: readonly Tensor[];
  offsets: readonly number[];
  bytes: number;
  life: Lifetime;
}

/**
 * Plans the step's memory. `schedule` lists the kernel nodes in execution order; `keep` holds
 * tensors that must survive to the end of the step (fetched outputs).
 */
export function planMemory(schedule: readonly Tensor[], keep: ReadonlySet<Tensor>, options: PlanOptions = {}): MemoryPlan {
  const alignment = options.offsetAlignment ?? 256;
  const maxArenaBytes = options.maxArenaBytes ?? Infinity;
  const planned = schedule.filter((t) => !t.isEffect && !t.op?.view);
  const lifetimes = liveness(schedule, planned, keep);
  const conflicts = conflictGraph(schedule, lifetimes);
  const units = makeUnits(planned, lifetimes, options.pinned ?? [], schedule.length, alignment);
  const unitOf = new Map<Tensor, number>();
  units.forEach((u, i) => u.members.forEach((t) => unitOf.set(t, i)));
  const neighbours = units.map((u, i) => {
    const set = new Set<number>();
    for (const t of u.members) {
      for (const n of conflicts.get(t) ?? []) {
        if (unitOf.get(n) === i)
          throw new Error(`memory plan: pinned tensors ${t} and ${n} are bound by one kernel that writes one of them; they cannot share a buffer`);
        set.add(unitOf.get(n)!);
      }
    }
    return [...set];
  });
  const problem: ColouringProblem = {
    items: units.map((u) => ({ ...u.life, bytes: alignUp(u.bytes, alignment) })),
    neighbours,
    steps: schedule.length,
    maxArenaBytes,
  };
  // Several colourings, kept whichever packs into the fewest bytes: in schedule order, largest tensors
  // first (the large ones set each arena's peak, the small ones then fill around them; ties early or
  // late in the schedule), longest-lived first, largest bytes x lifetime first, latest-ending first, and
  // in reverse schedule order. Each is a greedy heuristic whose result can swing with one small change
  // to the graph: with only the first two, adding the 73 KB permuted conv2 weight to the MNIST step
  // moved its plan from 30.4 to 33.4 MiB, and with the first five, one dispatch for its bias
  // gradients' sums (sum_outer_inner) moved it from 30.4 to 32.6 MiB.
  const inSchedule = units.map((_, i) => i);
  const bySize = [...inSchedule].sort((x, y) => problem.items[y]!.bytes - problem.items[x]!.bytes || x - y);
  const length = (i: number) => problem.items[i]!.last - problem.items[i]!.first;
  const byLife = [...inSchedule].sort((x, y) => length(y) - length(x) || x - y);
  const byArea = [...inSchedule].sort((x, y) => problem.items[y]!.bytes * (length(y) + 1) - problem.items[x]!.bytes * (length(x) + 1) || x - y);
  const reversed = [...inSchedule].reverse();
  const bySizeLate = [...inSchedule].sort((x, y) => problem.items[y]!.bytes - problem.items[x]!.bytes || y - x);
  const byEnd = [...inSchedule].sort((x, y) => problem.items[y]!.last - problem.items[x]!.last || x - y);
  const starts = [inSchedule, bySize, byLife, byArea, reversed, bySizeLate, byEnd]
    .map((order) => placeOffsets(units, neighbours, colourArenas(problem, order), alignment, maxArenaBytes))
    .reduce((best, next) => (arenaTotal(units, next) < arenaTotal(units, best) ? next : best));

  const placements = new Map<Tensor, Placement>();
  units.forEach((u, i) =>
    u.members.forEach((t, k) => placements.set(t, { arena: starts[i]!.arena, offset: starts[i]!.offset + u.offsets[k]!, bytes: bindingBytes(t) })),
  );
  const arenas: Arena[] = [];
  units.forEach((u, i) => {
    const { arena, offset } = starts[i]!;
    while (arenas.length <= arena) arenas.push({ bytes: 0, tenants: [] });
    arenas[arena]!.bytes = Math.max(arenas[arena]!.bytes, offset + u.bytes);
  });
  for (const t of planned) arenas[placements.get(t)!.arena]!.tenants.push(t);

  const constants = new Map<Tensor, number>();
  let constantBytes = 0;
  for (const t of leavesRead(schedule, keep)) {
    if (t.kind !== 'constant') continue;
    const offset = alignUp(constantBytes, alignment);
    constants.set(t, offset);
    constantBytes = offset + bindingBytes(t);
  }

  return {
    placements,
    arenas,
    lifetimes,
    constants,
    constantBytes,
    unplannedBytes: planned.reduce((a, t) => a + t.byteLength, 0),
    largestLiveBytes: largestLive(planned, lifetimes, schedule.length),
    offsetAlignment: alignment,
  };
}

/** Each planned tensor its own unit, except pinned groups: one unit each, reserved for the whole step. */
function makeUnits(
  planned: readonly Tensor[],
  lifetimes: ReadonlyMap<Tensor, Lifetime>,
  pinned: readonly PinnedGroup[],
  steps: number,
  alignment: number,
): Unit[] {
  const grouped = new Set<Tensor>();
  const groups = pinned.map((group): Unit => {
    group.tensors.forEach((t, i) => {
      const offset = group.offsets[i];
      if (!lifetimes.has(t)) throw new Error(`memory plan: pinned ${t} is not an intermediate of this step`);
      if (grouped.has(t)) throw new Error(`memory plan: ${t} is pinned twice`);
      if (offset === undefined || offset % alignment !== 0 || offset + t.byteLength > group.bytes) {
        throw new Error(`memory plan: pinned ${t} at offset ${offset} does not fit a group of ${group.bytes} bytes aligned to ${alignment}`);
      }
      grouped.add(t);
    });
    return { members: group.tensors, offsets: group.offsets, bytes: alignUp(group.bytes, 4), life: { first: 0, last: steps } };
  });
  const singles = planned.filter((t) => !grouped.has(t)).map((t): Unit => ({ members: [t], offsets: [0], bytes: bindingBytes(t), life: lifetimes.get(t)! }));
  return [...singles, ...groups];
}

/** First write and last read of each planned tensor; views keep their root alive while they are read. */
function liveness(schedule: readonly Tensor[], planned: readonly Tensor[], keep: ReadonlySet<Tensor>): Map<Tensor, Lifetime> {
  const end = schedule.length;
  const lifetimes = new Map<Tensor, Lifetime>();
  const isPlanned = new Set(planned);
  schedule.forEach((t, i) => {
    if (isPlanned.has(t)) lifetimes.set(t, { first: i, last: i });
  });
  const touch = (t: Tensor, time: number) => {
    const life = lifetimes.get(storageRoot(t));
    if (life && life.last < time) life.last = time;
  };
  schedule.forEach((node, time) => node.inputs.forEach((x) => touch(x, time)));
  for (const t of keep) touch(t, end);
  return lifetimes;
}

/**
 * For every kernel node, its written tensor against each other planned tensor it binds: the pairs
 * that must not share an arena.
 */
function conflictGraph(schedule: readonly Tensor[], lifetimes: ReadonlyMap<Tensor, Lifetime>): Map<Tensor, Set<Tensor>> {
  const graph = new Map<Tensor, Set<Tensor>>();
  const link = (a: Tensor, b: Tensor) => {
    if (a === b || !lifetimes.has(a) || !lifetimes.has(b)) return;
    for (const [x, y] of [
      [a, b],
      [b, a],
    ] as const) {
      let set = graph.get(x);
      if (!set) graph.set(x, (set = new Set()));
      set.add(y);
    }
  };
  for (const node of schedule) {
    if (node.op?.view) continue;
    const written = writtenBy(node);
    for (const x of node.inputs) link(written, storageRoot(x));
  }
  return graph;
}

/**
 * Offsets inside each arena, largest units first: each takes the smallest gap between the units
 * already placed in its arena whose lifetimes overlap its own, else goes above them. A unit that
 * would pass maxArenaBytes moves to another arena none of its neighbours is in, or a new one.
 */
function placeOffsets(
  units: readonly Unit[],
  neighbours: readonly (readonly number[])[],
  colour: readonly number[],
  alignment: number,
  maxArenaBytes: number,
): { arena: number; offset: number }[] {
  const order = units.map((u, i) => ({ u, i })).sort((a, b) => b.u.bytes - a.u.bytes || a.i - b.i);
  const starts: { arena: number; offset: number }[] = [];
  const residents: number[][] = [];
  let arenaCount = colour.reduce((n, c) => Math.max(n, c + 1), 0);
  for (const { u, i } of order) {
    if (u.bytes > maxArenaBytes)
      throw new Error(`memory plan: ${u.members.join(', ')} needs ${u.bytes} bytes, more than the largest buffer this device allows (${maxArenaBytes})`);
    const neighbourArenas = new Set(neighbours[i]!.map((n) => starts[n]?.arena));
    const preferred = colour[i]!;
    const candidates = [preferred, ...Array.from({ length: arenaCount }, (_, a) => a).filter((a) => a !== preferred), arenaCount];
    for (const arena of candidates) {
      if (neighbourArenas.has(arena)) continue;
      const busy = (residents[arena] ?? []).filter((o) => overlaps(u.life, units[o]!.life)).map((o) => ({ offset: starts[o]!.offset, bytes: units[o]!.bytes }));
      const offset = bestFit(busy, u.bytes, alignment);
      if (offset + u.bytes > maxArenaBytes) continue;
      starts[i] = { arena, offset };
      (residents[arena] ??= []).push(i);
      arenaCount = Math.max(arenaCount, arena + 1);
      break;
    }
  }
  return starts;
}

function arenaTotal(units: readonly Unit[], starts: readonly { arena: number; offset: number }[]): number {
  const ends: number[] = [];
  starts.forEach(({ arena, offset }, i) => (ends[arena] = Math.max(ends[arena] ?? 0, offset + units[i]!.bytes)));
  return ends.reduce((sum, end) => sum + (end ?? 0), 0);
}

function overlaps(a: Lifetime, b: Lifetime): boolean {
  return a.first <= b.last && b.first <= a.last;
}

/** The lowest aligned offset of the smallest gap among `busy` that holds `bytes`, else just above them all. */
function bestFit(busy: readonly { offset: number; bytes: number }[], bytes: number, alignment: number): number {
  const sorted = [...busy].sort((a, b) => a.offset - b.offset);
  let cursor = 0;
  let best = -1;
  let bestGap = Infinity;
  for (const p of sorted) {
    const gap = p.offset - cursor;
    if (gap >= bytes && gap < bestGap) {
      best = cursor;
      bestGap = gap;
    }
    cursor = Math.max(cursor, alignUp(p.offset + p.bytes, alignment));
  }
  return best >= 0 ? best : cursor;
}

function largestLive(planned: readonly Tensor[], lifetimes: ReadonlyMap<Tensor, Lifetime>, steps: number): number {
  const delta = new Float64Array(steps + 2);
  for (const t of planned) {
    const { first, last } = lifetimes.get(t)!;
    delta[first]! += t.byteLength;
    delta[last + 1]! -= t.byteLength;
  }
  let live = 0;
  let most = 0;
  for (const d of delta) {
    live += d;
    most = Math.max(most, live);
  }
  return most;
}

/** The leaves (variables, inputs, constants) the step binds or fetches, in order of first use. */
export function leavesRead(schedule: readonly Tensor[], keep: Iterable<Tensor>): Tensor[] {
  const leaves = new Set<Tensor>();
  for (const t of [...schedule.flatMap((n) => n.inputs), ...keep]) {
    const root = storageRoot(t);
    if (root.kind !== 'op') leaves.add(root);
  }
  return [...leaves];
}
