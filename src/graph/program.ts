// A compiled graph: every pipeline, buffer, uniform and bind group is made once, at compile time.
// A run then only encodes setPipeline / setBindGroup / dispatchWorkgroups for each kernel of the step
// (for as many steps as asked) into one command encoder and submits once. Nothing is read back
// unless the caller asks with read().
import type { Device } from '../device/device';
import type { BindingRef, KernelCall } from '../ops/op';
import type { Graph } from './graph';
import { checkBindingSizes, maxBindingBytes } from './binding-limit';
import { flattenAdamUpdates } from './fusion/flat-adam';
import { flattenSgdUpdates } from './fusion/flat-sgd';
import { placeForFlatUpdate } from './fusion/flat-update';
import { spanSumSquares } from './fusion/span-sum-squares';
import { fuse } from './fusion/index';
import { mergeScalarEffects } from './fusion/scalar-effects';
import { planMemory, storageRoot } from './memory-plan';
import { arenaName, StorageMap, type BufferRange } from './storage-map';
import { fmt, type DType } from './shape';
import type { Tensor } from './tensor';
import { Tuner } from './tuning';
import { checkHostData, fromBytes, type HostArray, type HostArrayOf, type Variable } from './variable';

export interface CompileOptions {
  /** Tensors whose values can be read after a run; they stay live to the end of the step. */
  outputs?: readonly Tensor[];
  /** Name used in GPU debug labels and describe(). */
  label?: string;
  /** Run the fusion pass (src/graph/fusion/); defaults to the device's setting (on). Results are the same either way. */
  fusion?: boolean;
  /**
   * false: every kernel runs its default form, whatever the tuning cache holds, so that two runs on
   * one adapter are bit-identical (forms sum in different orders). Default: the device's setting.
   */
  tuning?: boolean;
  /** Kernel forms decided before (Program.kernelForms of an earlier compile, kept in a checkpoint): used where offered. */
  pinned?: ReadonlyMap<string, string>;
}

export interface RunOptions {
  /** Steps encoded into the one submit (default 1). Inputs keep the values fed for the first. */
  steps?: number;
}

interface Dispatch {
  node: Tensor;
  label: string;
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  workgroups: readonly [number, number, number];
  buffers: string[];
  /** The kernel variant compile-time tuning chose (src/graph/tuning.ts), for calls that offer some. */
  variant?: string;
  /** The call's kernel key, for calls that offer variants. */
  key?: string;
}

/** One dispatch of a compiled step, as Program.kernels shows it. */
export interface KernelInfo {
  readonly node: Tensor;
  readonly label: string;
  readonly pipeline: GPUComputePipeline;
  readonly bindGroup: GPUBindGroup;
  readonly workgroups: readonly [number, number, number];
  /** The bound buffers as describe() names them (in:A1@0x900 (5.28 MiB), out:..., U@0x0 for uniforms). */
  readonly buffers: readonly string[];
  /** Bytes of the tensors it reads and writes: the sum of its node's inputs and output. */
  readonly bytes: number;
  /** The kernel variant compile-time tuning chose (src/graph/tuning.ts), for calls that offer some. */
  readonly variant?: string;
}

export interface ProgramStats {
  dispatchesPerStep: number;
  kernels: number;
  /**
   * Bytes of every buffer the step touches, known before the first step: exactly the sizes of the
   * buffers this program created (inputs, the constant buffer, the arenas, the uniform buffer) plus
   * the variables it binds (parameters and optimizer state).
   */
  peakBytes: number;
  variableBytes: number;
  inputBytes: number;
  constantBytes: number;
  /** The arenas' sizes summed: where every intermediate tensor lives. */
  intermediateBytes: number;
  /** Each arena's size, A0 first. */
  arenaBytes: number[];
  uniformBytes: number;
  /** The most intermediate bytes live at one step of the schedule: the floor for intermediateBytes. */
  largestLiveBytes: number;
  /** What the intermediate tensors would need without sharing bytes. */
  unplannedBytes: number;
  compileMs: number;
  /** Of compileMs, the time spent tuning kernels (src/graph/tuning.ts): timed runs and variant compiles; 0 when every choice was cached. */
  tuneMs: number;
  /** Kernels this compile timed and stored a choice for (tuning cache misses). */
  kernelsTuned: number;
}

export class Program {
  readonly device: Device;
  readonly label: string;
  readonly stats: ProgramStats;
  private readonly dispatches: Dispatch[];
  private readonly inputs: Map<string, { tensor: Tensor; buffer: GPUBuffer; fed: boolean }>;
  private readonly readable: Map<Tensor, BufferRange>;
  /** Inputs of the graph that this step does not read (pruned): feeding them is allowed and ignored. */
  private readonly unusedInputs: Set<string>;
  private readonly storage: StorageMap;
  private destroyed = false;

  private constructor(
    device: Device,
    label: string,
    dispatches: Dispatch[],
    inputs: Program['inputs'],
    readable: Map<Tensor, BufferRange>,
    stats: ProgramStats,
    unusedInputs: Set<string>,
    storage: StorageMap,
  ) {
    this.unusedInputs = unusedInputs;
    this.storage = storage;
    this.device = device;
    this.label = label;
    this.dispatches = dispatches;
    this.inputs = inputs;
    this.readable = readable;
    this.stats = stats;
  }

  /**
   * Compiles a graph into a program: schedule, fusion, memory plan, kernel tuning, then every
   * pipeline, buffer and bind group, made once. Only the listed outputs can be read after a run.
   *
   * @example
   * ```ts
   * const g = new Graph();
   * const x = g.input('x', [11, 1]), y = g.input('y', [11, 1]);
   * const w = g.param('w', [1, 1]), b = g.param('b', [1]);
   * const l = g.mean(g.square(g.sub(g.add(g.matmul(x, w), b), y)));
   * const [dw, db] = g.grad(l, [w, b]);
   * const program = await Program.compile(device, g, { outputs: [l, dw!, db!] });
   * program.run({ x: xs, y: ys });              // one submit
   * const loss: Float32Array = await program.read(l);
   * ```
   */
  static async compile(device: Device, graph: Graph, options: CompileOptions = {}): Promise<Program> {
    const started = performance.now();
    const label = options.label ?? 'program';
    const outputs = options.outputs ?? [];
    for (const t of outputs) if (t.graph !== graph) throw new Error(`compile: output ${t} belongs to another graph`);
    const unfused = scheduleStep(graph, outputs);
    const fusion = options.fusion ?? device.fusion;
    const fused = fusion ? fuse(unfused, outputs) : { schedule: unfused, outputs: [...outputs] };
    const alignment = device.limits['minStorageBufferOffsetAlignment'] ?? 256;
    // One optimizer dispatch needs the parameters packed and their gradients pinned in one layout.
    const flatLimits = { alignment, maxBindingBytes: maxBindingBytes(device.limits) };
    const flat = fusion ? (flattenSgdUpdates(fused.schedule, flatLimits) ?? flattenAdamUpdates(fused.schedule, flatLimits)) : null;
    const flatPlaced = flat !== null && placeForFlatUpdate(device, flat.flat);
    // With the gradients pinned side by side, clipping's norm reads them through one binding.
    const flattened = flatPlaced ? spanSumSquares(flat.schedule, fused.outputs, flat.flat) : fused;
    // `computed` maps each fetched tensor to the node that computes it after fusion.
    const computed = flattened.outputs;
    const schedule = fusion ? mergeScalarEffects(flattened.schedule, device.limits['maxStorageBuffersPerShaderStage'] ?? 8) : flattened.schedule;
    checkBindingSizes(label, [...schedule, ...collectLeaves(schedule, computed)], device.limits);
    const plan = planMemory(schedule, new Set(computed.map(storageRoot)), {
      offsetAlignment: alignment,
      maxArenaBytes: device.limits['maxBufferSize'] ?? Infinity,
      ...(flatPlaced ? { pinned: [{ tensors: flat.flat.grads, offsets: flat.flat.layout.offsets, bytes: flat.flat.layout.bytes }] } : {}),
    });
    const storage = new StorageMap(device, label, plan);

    // Every node's storage exists before lowering, so bind groups can be made in one pass.
    const inputs: Program['inputs'] = new Map();
    for (const node of collectLeaves(schedule, computed)) {
      const buffer = storage.leaf(node);
      if (node.kind === 'input') inputs.set(node.name, { tensor: node, buffer, fed: false });
    }
    const lowered = schedule.filter((n) => !n.op!.view).map((node) => ({ node, calls: node.op!.lower!(node, node.attrs) }));
    const tuner = new Tuner(device, {
      ...(options.tuning !== undefined ? { tuning: options.tuning } : {}),
      ...(options.pinned ? { pinned: options.pinned } : {}),
    });
    const dispatches = await Promise.all(lowered.flatMap(({ node, calls }) => calls.map((call) => makeDispatch(storage, node, call, tuner))));
    tuner.finish();
    const readable = new Map<Tensor, BufferRange>();
    outputs.forEach((t, i) => readable.set(t, storage.binding(computed[i]!)));
    device.check();
    const stats: ProgramStats = {
      dispatchesPerStep: dispatches.length,
      kernels: new Set(dispatches.map((d) => d.pipeline)).size,
      ...storage.bytes(),
      largestLiveBytes: plan.largestLiveBytes,
      unplannedBytes: plan.unplannedBytes,
      compileMs: performance.now() - started,
      tuneMs: tuner.elapsedMs,
      kernelsTuned: tuner.kernelsTuned,
    };
    const unused = new Set(graph.nodes.filter((n) => n.kind === 'input' && !inputs.has(n.name)).map((n) => n.name));
    return new Program(device, label, dispatches, inputs, readable, stats, unused, storage);
  }

  /**
   * Frees the buffers the program made (its arenas, inputs, constants and uniforms; never the
   * variables it binds). The program cannot run afterwards.
   */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.storage.destroy();
  }

  /** The step's dispatches in order, for profilers and tests (bytes: the node's inputs and output). */
  get kernels(): readonly KernelInfo[] {
    return this.dispatches.map((d) => ({
      ...d,
      buffers: [...d.buffers],
      bytes: d.node.inputs.reduce((sum, t) => sum + t.byteLength, d.node.isEffect ? 0 : d.node.byteLength),
    }));
  }

  /** The form each kernel that offers several runs, by kernel key: what a checkpoint keeps so that a resume runs the same kernels. */
  get kernelForms(): Map<string, string> {
    return new Map(this.dispatches.flatMap((d) => (d.key !== undefined && d.variant !== undefined ? [[d.key, d.variant] as [string, string]] : [])));
  }

  /** Names and shapes of the inputs that run() takes. */
  get inputShapes(): Record<string, string> {
    return Object.fromEntries([...this.inputs].map(([name, { tensor }]) => [name, `${tensor.dtype}${fmt(tensor.shape)}`]));
  }

  /** Uploads fed inputs, then encodes `steps` steps into one command buffer and submits it once. */
  run(feeds: Record<string, HostArray> = {}, options: RunOptions = {}): void {
    this.device.gpu.queue.submit([this.encode(feeds, options).finish()]);
  }

  /**
   * As run(), with a copy of `variable` (a running loss sum, say) recorded after the last step in the
   * same submit; resolves to the value it has then. Reading this way costs no submit of its own.
   */
  async runAndRead<D extends DType>(variable: Variable<D>, feeds: Record<string, HostArray> = {}, options: RunOptions = {}): Promise<HostArrayOf<D>> {
    const encoder = this.encode(feeds, options);
    const pending = variable.encodeRead(this.device, encoder);
    this.device.gpu.queue.submit([encoder.finish()]);
    return pending();
  }

  /**
   * Uploads fed inputs and records `steps` steps into a new command encoder, left open for the caller
   * to record more (copies of outputs, reads) before it submits: how lazy tensors run a trace.
   */
  /** @internal */
  encode(feeds: Record<string, HostArray>, options: RunOptions = {}): GPUCommandEncoder {
    if (this.destroyed) throw new Error(`run: ${this.label} was destroyed`);
    const steps = options.steps ?? 1;
    if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`run: steps must be a positive integer, got ${steps}`);
    for (const name of Object.keys(feeds)) {
      if (!this.inputs.has(name) && !this.unusedInputs.has(name))
        throw new Error(`run: '${name}' is not an input of ${this.label} (inputs: ${Object.keys(this.inputShapes).join(', ') || 'none'})`);
    }
    for (const [name, input] of this.inputs) {
      const data = feeds[name];
      if (data === undefined) {
        if (!input.fed) throw new Error(`run: input '${name}' (${this.inputShapes[name]}) was never fed`);
        continue;
      }
      checkHostData(`input '${name}'`, input.tensor.shape, input.tensor.dtype, data);
      this.device.write(input.buffer, 0, data);
      input.fed = true;
    }
    this.device.check();
    const encoder = this.device.gpu.createCommandEncoder({ label: this.label });
    const pass = encoder.beginComputePass({ label: this.label });
    for (let s = 0; s < steps; s++) {
      for (const d of this.dispatches) {
        pass.setPipeline(d.pipeline);
        pass.setBindGroup(0, d.bindGroup);
        pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1], d.workgroups[2]);
      }
    }
    pass.end();
    return encoder;
  }

  /** Where an output (named at compile time) lives after a run: valid until this program runs again. */
  /** @internal */
  outputRange(tensor: Tensor): BufferRange {
    const range = this.readable.get(tensor);
    if (!range) throw new Error(`outputRange: ${tensor} is not an output of ${this.label}`);
    return range;
  }

  /** Reads an output (named at compile time) as left by the last run. */
  async read<D extends DType>(tensor: Tensor<D>): Promise<HostArrayOf<D>> {
    const range = this.readable.get(tensor);
    if (!range) throw new Error(`read: ${tensor} is not an output of ${this.label}; list it in compile's outputs`);
    return fromBytes(tensor.dtype, await this.device.read(range.buffer, range.offset, tensor.byteLength), tensor.size);
  }

  /**
   * The step as a readable list of kernels with the buffer range of each binding (`out:A1@0x3f00
   * (1.20 MiB)`: arena A1 at that offset), then one line per arena, then the memory totals.
   */
  describe(): string {
    const lines = this.dispatches.map(
      (d, i) => `${String(i).padStart(3)} ${d.label.padEnd(14)} ${d.node.toString().padEnd(28)} wg=${d.workgroups.join('x').padEnd(10)} ${d.buffers.join(' ')}`,
    );
    const s = this.stats;
    const mb = (b: number) => `${(b / 1048576).toFixed(2)} MiB`;
    s.arenaBytes.forEach((bytes, i) => lines.push(`${arenaName(i)}: ${mb(bytes)}`));
    lines.push(
      `${this.label}: ${s.dispatchesPerStep} dispatches/step, ${s.kernels} distinct pipelines, 1 submit per run`,
      `memory: peak ${mb(s.peakBytes)} = variables ${mb(s.variableBytes)} + inputs ${mb(s.inputBytes)} + constants ${mb(s.constantBytes)} + intermediates ${mb(s.intermediateBytes)} in ${s.arenaBytes.length} arenas + uniforms ${mb(s.uniformBytes)}`,
      `intermediates: largest live set ${mb(s.largestLiveBytes)}, planned ${mb(s.intermediateBytes)}, unplanned would be ${mb(s.unplannedBytes)}`,
    );
    return lines.join('\n');
  }
}

/** Kernel nodes reachable from the outputs and the graph's effects: values first, effects last. */
export function scheduleStep(graph: Graph, outputs: readonly Tensor[]): Tensor[] {
  const effects = graph.nodes.filter((n) => n.isEffect);
  const live = new Set<Tensor>();
  const stack = [...outputs, ...effects];
  while (stack.length) {
    const t = stack.pop()!;
    if (live.has(t)) continue;
    live.add(t);
    stack.push(...t.inputs);
  }
  const ops = graph.nodes.filter((n) => live.has(n) && n.kind === 'op');
  // Effects write variables in place: they run after every read of the step's old values.
  return [...ops.filter((n) => !n.isEffect), ...ops.filter((n) => n.isEffect)];
}

function collectLeaves(schedule: readonly Tensor[], outputs: readonly Tensor[]): Tensor[] {
  const leaves = new Set<Tensor>();
  for (const t of [...schedule.flatMap((n) => n.inputs), ...outputs]) {
    const root = storageRoot(t);
    if (root.kind !== 'op') leaves.add(root);
  }
  return [...leaves];
}

async function makeDispatch(storage: StorageMap, node: Tensor, call: KernelCall, tuner: Tuner): Promise<Dispatch> {
  const label = call.label ?? node.op!.name;
  // Uniforms are reserved before the first await: every dispatch's reservation is in before any
  // bind group asks for the program's one uniform buffer. The tuner starts its compiles before it
  // too, so that its timing can wait for all of them.
  const uniforms = call.bindings.map((ref) => ('uniform' in ref ? storage.reserveUniform(ref.uniform) : -1));
  const selection = tuner.begin(node, label, call);
  await selection.ready;
  const names: string[] = [];
  const ranges: (BufferRange | null)[] = [];
  const entries: GPUBindGroupEntry[] = call.bindings.map((ref: BindingRef, binding) => {
    if ('uniform' in ref) {
      names.push(storage.uniformWhere(uniforms[binding]!));
      ranges.push(null);
      return { binding, resource: storage.uniformBinding(uniforms[binding]!) };
    }
    if ('span' in ref) {
      const members = ref.span.map((i) => node.inputs[i]!);
      const range = storage.spanBinding(members);
      names.push(`in:${storage.where(members[0]!)}..${members.length} (${formatBytes(range.size)})`);
      ranges.push(range);
      return { binding, resource: range };
    }
    const t = 'input' in ref ? node.inputs[ref.input]! : node;
    if ('output' in ref && node.isEffect) throw new Error(`internal: effect ${node} has no output to bind`);
    const range = storage.binding(t);
    names.push(`${'input' in ref ? 'in' : 'out'}:${storage.where(t)} (${formatBytes(t.byteLength)})`);
    ranges.push(range);
    return { binding, resource: range };
  });
  checkWritableAliasing(node, call.code, ranges);
  const { pipeline, bindGroup, workgroups, variant, key } = await selection.finish(entries);
  return { node, label, pipeline, bindGroup, workgroups, buffers: names, ...(variant !== undefined ? { variant } : {}), ...(key !== undefined ? { key } : {}) };
}

/**
 * WebGPU refuses a dispatch that binds a buffer as writable storage together with any other binding
 * of the same buffer, even a disjoint range. The memory plan keeps written tensors apart from the
 * rest of their node's bindings; this catches what it cannot see (a kernel writing another input)
 * with a message naming the node instead of a validation error at submit.
 */
function checkWritableAliasing(node: Tensor, code: string, ranges: readonly (BufferRange | null)[]): void {
  for (const match of code.matchAll(/@binding\((\d+)\)(?:\s*@group\(\d+\))?\s*var\s*<\s*storage\s*,\s*read_write\s*>/g)) {
    const written = Number(match[1]);
    const range = ranges[written];
    if (!range) continue;
    const other = ranges.findIndex((r, i) => i !== written && r?.buffer === range.buffer);
    if (other >= 0) throw new Error(`internal: ${node} writes binding ${written} in the same buffer as its binding ${other}; WebGPU forbids it`);
  }
}

function formatBytes(bytes: number): string {
  if (bytes >= 1048576) return `${(bytes / 1048576).toFixed(2)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} B`;
}
