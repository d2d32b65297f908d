// Runs lazy tensors: one open trace records every op; closing it (a value was asked for, a step
// ended) compiles the trace with the static compiler, or takes the program compiled for an earlier
// trace of the same structure, and runs it in one submit with the copies and the readback it needs.
//
// What survives a closed trace, and why:
// - persistent tensors (autograd leaves, module parameters, optimizer state, gradients, anything
//   updated in place) get GPU storage, a Variable that programs bind by identity; their new value is
//   copied there at the end of the submit;
// - every other tensor of at most SMALL_ELEMENTS values (losses, metrics, logits of a batch), and any
//   tensor whose value was asked for, is read back to the host in that submit (one map per trace);
// - larger tensors keep their recipe: a later use computes them again in the new trace, as long as
//   every variable they read still holds the value it had; otherwise reading one is an error naming
//   the variable (keep() marks a tensor to be stored instead).
// Nothing here depends on when the garbage collector runs: a trace's structure, and so the cache
// key, is a function of the code that recorded it.
import { defaultDevice } from '../device/default-device';
import type { Device } from '../device/device';
import { storageRoot } from '../graph/memory-plan';
import { Program } from '../graph/program';
import { bytesOf, sizeOf, type DType } from '../graph/shape';
import type { Tensor as Node } from '../graph/tensor';
import { fromBytes, Variable, type HostArray } from '../graph/variable';
import { detach } from '../ops/detach';
import { traceKey } from './trace-key';
import { gradEnabled } from './grad-mode';
import { Trace } from './trace';
import type { Tensor } from './tensor';

/** Tensors of at most this many values are read back when their trace runs (see the file comment). */
export const SMALL_ELEMENTS = 1024;

/** Where a lazy tensor's value is. */
export type TensorState =
  /** A node of the open trace. */
  | { kind: 'pending'; trace: Trace; node: Node }
  /** Known: in `storage` (persistent tensors) and/or on the host (`host`, a promise while the readback is in flight). */
  | { kind: 'ready'; host: Promise<HostArray> | null }
  /** Not kept when its trace ran: its node in that closed trace, to be computed again. */
  | { kind: 'stale'; closed: ClosedTrace; node: Node };

/** What is left of a trace once it ran: the graph, and which of its nodes are known values now. */
export interface ClosedTrace {
  trace: Trace;
  /** Nodes whose value a tensor holds now, with that tensor's version right after the run. */
  known: Map<Node, { tensor: Tensor; version: number }>;
  /** The tensors owning the variables the trace read: a recipe keeps its inputs' storage alive. */
  owners: Tensor[];
}

/** Compiled programs kept for reuse; the least recently used beyond this are destroyed. */
export const MAX_CACHED_PROGRAMS = 64;

interface CachedProgram {
  program: Program;
  /** The trace it was compiled from: the node with a given id there is the one to read or copy. */
  trace: Trace;
  /** Holds every readback of a run side by side, so one map serves them all. */
  readback: GPUBuffer | null;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A readback nobody awaits must not become an unhandled rejection: the error reaches whoever asks.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/** Counts for tests and describe(): programs compiled, traces run, cache hits. */
export interface TensorStats {
  tracesRun: number;
  programsCompiled: number;
  cacheHits: number;
  /** Tensors whose GPU storage was freed because nobody held them any more. */
  storagesFreed: number;
}

const versionOf = new WeakMap<Variable, number>();
/** How many times a variable's value was replaced by a closed trace. */
export function storageVersion(variable: Variable): number {
  return versionOf.get(variable) ?? 0;
}

export class Engine {
  readonly stats: TensorStats = { tracesRun: 0, programsCompiled: 0, cacheHits: 0, storagesFreed: 0 };
  private open: Trace;
  private readonly cache = new Map<string, CachedProgram>();
  private queue: Promise<void> = Promise.resolve();
  private closeScheduled = false;
  private readonly requested = new Set<Tensor>();
  private readonly variableHook: (trace: Trace, variable: Variable) => Node;
  private device: Device | null = null;
  /** Weakly: the registry below holds each variable, so a strong value here would keep its tensor alive. */
  private readonly owners = new WeakMap<Variable, WeakRef<Tensor>>();
  /** Frees the storage of tensors nobody holds (nor any recipe: a closed trace holds its owners). */
  private readonly reclaim = new FinalizationRegistry<Variable>((variable) => {
    variable.dispose();
    this.stats.storagesFreed++;
  });

  constructor(variableHook: (trace: Trace, variable: Variable) => Node) {
    this.variableHook = variableHook;
    this.open = new Trace(variableHook);
  }

  /** The trace ops record into now. */
  get trace(): Trace {
    return this.open;
  }

  /** The node that stands for `t`'s value in the open trace (computed again if it was not kept). */
  nodeOf(t: Tensor, detached = false): Node {
    const node = this.valueNode(t);
    if (!detached) return node;
    const trace = this.open;
    let d = trace.detached.get(node);
    if (!d) {
      d = detach(node);
      trace.detached.set(node, d);
    }
    return d;
  }

  private valueNode(t: Tensor): Node {
    const trace = this.open;
    const state = t.state;
    if (state.kind === 'pending') {
      if (state.trace !== trace) throw new Error(`internal: ${t.describe()} is pending in a trace that is not open`);
      return state.node;
    }
    // A tensor autograd goes through (not a leaf) is recorded again from its recipe, so that a
    // backward() in this trace reaches the leaves it came from; a kept value would cut it there.
    const recipe = state.kind === 'stale' ? state : state.kind === 'ready' && t.recipe && t.requiresGrad && gradEnabled() ? t.recipe : null;
    if (recipe) {
      const node = this.recompute(t, recipe.closed, recipe.node);
      t.state = { kind: 'pending', trace, node };
      trace.tensors.add(t);
      return node;
    }
    if (state.kind !== 'ready') throw new Error(`internal: ${t.describe()} is stale without a recipe`);
    if (t.storage) {
      const node = trace.storedValue(t.storage, storageVersion(t.storage));
      if (t.isLeaf && t.requiresGrad) trace.leaves.set(node, t);
      return node;
    }
    let fed = trace.fedBy.get(t);
    if (!fed) {
      if (!state.host) throw new Error(`internal: ${t.describe()} has neither storage nor host data`);
      fed = trace.feed(t.shape, t.dtype, state.host);
      trace.fedBy.set(t, fed);
    }
    return fed;
  }

  /**
   * Gives `t` GPU storage: `variable` (which a recompute then reads through `t`, an autograd leaf
   * maybe). Storage made for the tensor (`owned`) is freed when the tensor is garbage collected.
   */
  attach(t: Tensor, variable: Variable, owned: boolean): void {
    t.storage = variable;
    this.owners.set(variable, new WeakRef(t));
    if (owned) this.reclaim.register(t, variable);
  }

  /** Makes `node` the value of `t` (a new tensor, or one updated in place). */
  setPending(t: Tensor, node: Node): void {
    t.state = { kind: 'pending', trace: this.open, node };
    t.version++;
    this.open.tensors.add(t);
    if (t.storage) this.open.update(t.storage, node);
    if (t.isLeaf && t.requiresGrad) this.open.leaves.set(node, t);
  }

  /** Asks for `t`'s value on the host: resolves once the trace holding it has run. */
  async host(t: Tensor): Promise<HostArray> {
    for (;;) {
      const state = t.state;
      if (state.kind === 'ready') {
        if (state.host) return state.host;
        // Stored and not read back when its trace ran: read the storage once every queued trace has run.
        await this.settle();
        if (t.state !== state) continue;
        const value = t.storage!.read();
        t.state = { kind: 'ready', host: value };
        return value;
      }
      this.valueNode(t); // a stale tensor is recorded again, in the open trace
      this.requested.add(t);
      this.scheduleClose();
      // The close was queued as a microtask before this one: the state is final after it.
      await Promise.resolve();
      if (t.state.kind === 'pending') this.close();
    }
  }

  /** Closes the open trace at the end of this microtask: values asked for together share one submit. */
  private scheduleClose(): void {
    if (this.closeScheduled) return;
    this.closeScheduled = true;
    queueMicrotask(() => {
      if (this.closeScheduled) this.close();
    });
  }

  /** Waits until every closed trace was submitted (and reports an error of the last). */
  async settle(): Promise<void> {
    if (this.open.tensors.size > 0) this.close();
    await this.queue;
  }

  /** As settle(), then waits for the GPU to finish what was submitted. */
  async synchronize(): Promise<void> {
    await this.settle();
    await this.device?.sync();
  }

  /**
   * Ends the open trace: decides what each of its tensors keeps (see the file comment), queues the run
   * and opens a new trace. Synchronous: the tensors' states are final when it returns.
   */
  close(): void {
    this.closeScheduled = false;
    const trace = this.open;
    this.open = new Trace(this.variableHook);
    if (trace.tensors.size === 0) return;
    const writes: { node: Node; storage: Variable }[] = [];
    const reads: { node: Node; done: Deferred<HostArray>; dtype: DType; size: number }[] = [];
    const known = new Map<Node, { tensor: Tensor; version: number }>();
    const owners = [...trace.versions.keys()].flatMap((v) => this.owners.get(v)?.deref() ?? []);
    const closed: ClosedTrace = { trace, known, owners };
    for (const t of trace.tensors) {
      const state = t.state;
      if (state.kind !== 'pending' || state.trace !== trace) continue;
      const node = state.node;
      const asked = this.requested.delete(t);
      if (t.persistent) {
        if (!t.storage) this.attach(t, new Variable(t.label, t.shape, t.dtype), true);
        const storage = t.storage!;
        const unchanged = node.kind === 'variable' && node.variable === storage;
        if (!unchanged) {
          writes.push({ node, storage });
          versionOf.set(storage, storageVersion(storage) + 1);
        }
      }
      let host: Promise<HostArray> | null = null;
      if (asked || (!t.persistent && sizeOf(t.shape) <= SMALL_ELEMENTS)) {
        const done = deferred<HostArray>();
        reads.push({ node, done, dtype: t.dtype, size: sizeOf(t.shape) });
        host = done.promise;
      }
      if (t.persistent || host) {
        t.state = { kind: 'ready', host };
        t.recipe = t.requiresGrad && !t.isLeaf ? { closed, node } : null;
        t.version++;
        known.set(node, { tensor: t, version: t.version });
      } else {
        t.state = { kind: 'stale', closed, node };
      }
    }
    // Effects a module recorded (a dropout layer's step counter) change their variable too: a recipe
    // that read the old value must not be computed again with the new one.
    for (const n of trace.nodes) {
      const target = n.isEffect ? storageRoot(n.inputs[0]!) : null;
      if (target?.kind === 'variable') versionOf.set(target.variable!, storageVersion(target.variable!) + 1);
    }
    // What the open trace needed to know about tensors is settled; a recipe needs only the graph.
    trace.tensors.clear();
    trace.leaves.clear();
    trace.fedBy.clear();
    if (writes.length === 0 && reads.length === 0) return;
    const outputs = [...new Set([...writes.map((w) => w.node), ...reads.map((r) => r.node)])];
    const key = traceKey(trace, outputs, writes);
    const run = async (): Promise<void> => {
      try {
        await this.runTrace(key, trace, outputs, writes, reads);
      } catch (error) {
        for (const r of reads) r.done.reject(error);
        throw error;
      }
    };
    const previous = this.queue;
    this.queue = previous.catch(() => undefined).then(run);
  }

  private async runTrace(
    key: string,
    trace: Trace,
    outputs: readonly Node[],
    writes: readonly { node: Node; storage: Variable }[],
    reads: readonly { node: Node; done: Deferred<HostArray>; dtype: DType; size: number }[],
  ): Promise<void> {
    const device = this.useDevice();
    let cached = this.cache.get(key);
    if (cached) {
      this.stats.cacheHits++;
      this.cache.delete(key); // most recently used last
    } else {
      const program = await Program.compile(device, trace, { outputs, label: 'trace' });
      this.stats.programsCompiled++;
      cached = { program, trace, readback: null };
      for (const [old, entry] of this.cache) {
        if (this.cache.size < MAX_CACHED_PROGRAMS) break;
        this.cache.delete(old);
        entry.program.destroy();
        if (entry.readback) device.destroyBuffer(entry.readback);
      }
    }
    this.cache.set(key, cached);
    const { program } = cached;
    const same = (node: Node): Node => cached.trace.nodes[node.id]!;
    const feeds: Record<string, HostArray> = {};
    for (const [name, data] of trace.feeds) feeds[name] = await data;
    const encoder = program.encode(feeds);
    for (const { node, storage } of writes) {
      const from = program.outputRange(same(node));
      const to = storage.bindingOn(device);
      if (from.buffer === to.buffer && from.offset === to.offset) continue;
      encoder.copyBufferToBuffer(from.buffer, from.offset, to.buffer, to.offset, to.size);
    }
    let pending: (() => Promise<ArrayBuffer>) | null = null;
    const offsets: number[] = [];
    if (reads.length > 0) {
      let total = 0;
      for (const r of reads) {
        offsets.push(total);
        total += bytesOf(r.dtype, r.size);
      }
      cached.readback ??= device.createBuffer('trace/readback', total, GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST);
      reads.forEach((r, i) => {
        const from = program.outputRange(same(r.node));
        encoder.copyBufferToBuffer(from.buffer, from.offset, cached.readback!, offsets[i]!, from.size);
      });
      const read = device.encodeRead(encoder, cached.readback, 0, total);
      pending = () => read.bytes();
    }
    device.gpu.queue.submit([encoder.finish()]);
    this.stats.tracesRun++;
    if (!pending) return;
    // The readback resolves on its own: the next trace is submitted without waiting for this map,
    // so the queue never drains between steps (a later trace that feeds on these values awaits them).
    pending().then(
      (bytes) =>
        reads.forEach((r, i) => {
          const copy = bytes.slice(offsets[i]!, offsets[i]! + bytesOf(r.dtype, r.size));
          r.done.resolve(fromBytes(r.dtype, copy, r.size));
        }),
      (error: unknown) => reads.forEach((r) => r.done.reject(error)),
    );
  }

  private useDevice(): Device {
    const device = defaultDevice();
    if (this.device && this.device !== device) {
      // Programs and storage belong to one device; a new default starts a new cache.
      for (const entry of this.cache.values()) entry.program.destroy();
      this.cache.clear();
    }
    this.device = device;
    return device;
  }

  /**
   * Records again, in the open trace, how `node` of a closed trace was computed: from the values
   * tensors hold now where they are the same, from the same host data, constants and ops otherwise.
   */
  private recompute(t: Tensor, closed: ClosedTrace, node: Node): Node {
    const trace = this.open;
    const made = new Map<Node, Node>();
    const visit = (n: Node): Node => {
      const done = made.get(n);
      if (done) return done;
      let out: Node;
      const holder = closed.known.get(n);
      const through = holder && holder.tensor.requiresGrad && !holder.tensor.isLeaf;
      if (holder && !through && holder.tensor.version === holder.version) out = this.valueNode(holder.tensor);
      else if (n.kind === 'variable') {
        const variable = n.variable!;
        const then = closed.trace.versions.get(variable) ?? 0;
        if (storageVersion(variable) !== then) {
          throw new Error(
            `${t.describe()} cannot be computed again: '${variable.name}', which it was computed from, has been updated in place since (by an optimizer step, say). ` +
              'Read its value before that update (await t.data()), or call t.keep() when you make it; for backward(), compute the loss again after the update',
          );
        }
        out = trace.storedValue(variable, then);
        const owner = this.owners.get(variable)?.deref();
        if (owner?.isLeaf && owner.requiresGrad) trace.leaves.set(out, owner);
      } else if (n.kind === 'input') out = trace.feed(n.shape, n.dtype, closed.trace.feeds.get(n.name)!);
      else if (n.kind === 'constant') out = trace.constant(n.value!, n.shape, n.name);
      else out = trace.apply(n.op!, n.inputs.map(visit), n.attrs, n.name);
      made.set(n, out);
      return out;
    };
    return visit(node);
  }
}
