// A compiled graph: every pipeline, buffer, uniform and bind group is made once, at compile time.
// A run then only encodes setPipeline / setBindGroup / dispatchWorkgroups for each kernel of the step
// (for as many steps as asked) into one command encoder and submits once. Nothing is read back
// unless the caller asks with read().
import type { Device } from '../device/device';
import type { BindingRef, KernelCall } from '../ops/op';
import type { Graph } from './graph';
import { checkBindingSizes } from './binding-limit';
import { fuse } from './fusion/index';
import { planMemory, storageRoot } from './memory-plan';
import { StorageMap } from './storage-map';
import { fmt } from './shape';
import type { Tensor } from './tensor';
import { checkHostData, type HostArray } from './variable';

export interface CompileOptions {
  /** Tensors whose values can be read after a run; they stay live to the end of the step. */
  outputs?: readonly Tensor[];
  /** Name used in GPU debug labels and describe(). */
  label?: string;
  /** Run the fusion pass (src/graph/fusion/); defaults to the device's setting (on). Results are the same either way. */
  fusion?: boolean;
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
}

export interface ProgramStats {
  dispatchesPerStep: number;
  kernels: number;
  /** Bytes of every buffer the step touches: parameters, state, inputs, constants, planned slots, uniforms. */
  peakBytes: number;
  variableBytes: number;
  inputBytes: number;
  constantBytes: number;
  slotBytes: number;
  uniformBytes: number;
  /** What the intermediate tensors would need without buffer sharing. */
  unplannedBytes: number;
  compileMs: number;
}

export class Program {
  readonly device: Device;
  readonly label: string;
  readonly stats: ProgramStats;
  private readonly dispatches: Dispatch[];
  private readonly inputs: Map<string, { tensor: Tensor; buffer: GPUBuffer; fed: boolean }>;
  private readonly readable: Map<Tensor, GPUBuffer>;
  /** Inputs of the graph that this step does not read (pruned): feeding them is allowed and ignored. */
  private readonly unusedInputs: Set<string>;

  private constructor(device: Device, label: string, dispatches: Dispatch[], inputs: Program['inputs'], readable: Map<Tensor, GPUBuffer>, stats: ProgramStats, unusedInputs: Set<string>) {
    this.unusedInputs = unusedInputs;
    this.device = device;
    this.label = label;
    this.dispatches = dispatches;
    this.inputs = inputs;
    this.readable = readable;
    this.stats = stats;
  }

  static async compile(device: Device, graph: Graph, options: CompileOptions = {}): Promise<Program> {
    const started = performance.now();
    const label = options.label ?? 'program';
    const outputs = options.outputs ?? [];
    for (const t of outputs) if (t.graph !== graph) throw new Error(`compile: output ${t} belongs to another graph`);
    const unfused = scheduleStep(graph, outputs);
    const fusion = options.fusion ?? device.fusion;
    // `computed` maps each fetched tensor to the node that computes it after fusion.
    const { schedule, outputs: computed } = fusion ? fuse(unfused, outputs) : { schedule: unfused, outputs: [...outputs] };
    checkBindingSizes(label, [...schedule, ...collectLeaves(schedule, computed)], device.limits);
    const plan = planMemory(schedule, new Set(computed.map(storageRoot)));
    const storage = new StorageMap(device, label, plan);

    // Every node's storage exists before lowering, so bind groups can be made in one pass.
    const inputs: Program['inputs'] = new Map();
    for (const node of collectLeaves(schedule, computed)) {
      const buffer = storage.leaf(node);
      if (node.kind === 'input') inputs.set(node.name, { tensor: node, buffer, fed: false });
    }
    const lowered = schedule.filter((n) => !n.op!.view).map((node) => ({ node, calls: node.op!.lower!(node, node.attrs) }));
    const dispatches = await Promise.all(
      lowered.flatMap(({ node, calls }) => calls.map((call) => makeDispatch(device, storage, node, call))),
    );
    const readable = new Map<Tensor, GPUBuffer>();
    outputs.forEach((t, i) => readable.set(t, storage.of(computed[i]!)));
    device.check();
    const stats: ProgramStats = {
      dispatchesPerStep: dispatches.length,
      kernels: new Set(dispatches.map((d) => d.pipeline)).size,
      ...storage.bytes(),
      unplannedBytes: plan.unplannedBytes,
      compileMs: performance.now() - started,
    };
    const unused = new Set(graph.nodes.filter((n) => n.kind === 'input' && !inputs.has(n.name)).map((n) => n.name));
    return new Program(device, label, dispatches, inputs, readable, stats, unused);
  }

  /** Names and shapes of the inputs that run() takes. */
  get inputShapes(): Record<string, string> {
    return Object.fromEntries([...this.inputs].map(([name, { tensor }]) => [name, `${tensor.dtype}${fmt(tensor.shape)}`]));
  }

  /** Uploads fed inputs, then encodes `steps` steps into one command buffer and submits it once. */
  run(feeds: Record<string, HostArray> = {}, options: RunOptions = {}): void {
    const steps = options.steps ?? 1;
    if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`run: steps must be a positive integer, got ${steps}`);
    for (const name of Object.keys(feeds)) {
      if (!this.inputs.has(name) && !this.unusedInputs.has(name)) throw new Error(`run: '${name}' is not an input of ${this.label} (inputs: ${Object.keys(this.inputShapes).join(', ') || 'none'})`);
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
    this.device.gpu.queue.submit([encoder.finish()]);
  }

  /** Reads an output (named at compile time) as left by the last run. */
  async read(tensor: Tensor): Promise<Float32Array | Int32Array> {
    const buffer = this.readable.get(tensor);
    if (!buffer) throw new Error(`read: ${tensor} is not an output of ${this.label}; list it in compile's outputs`);
    const bytes = await this.device.read(buffer, 0, tensor.byteLength);
    return tensor.dtype === 'i32' ? new Int32Array(bytes) : new Float32Array(bytes);
  }

  /** The step as a readable list of kernels with their buffers, then the memory summary. */
  describe(): string {
    const lines = this.dispatches.map((d, i) => `${String(i).padStart(3)} ${d.label.padEnd(14)} ${d.node.toString().padEnd(28)} wg=${d.workgroups.join('x').padEnd(10)} ${d.buffers.join(' ')}`);
    const s = this.stats;
    const mb = (b: number) => `${(b / 1048576).toFixed(2)} MiB`;
    lines.push(
      `${this.label}: ${s.dispatchesPerStep} dispatches/step, ${s.kernels} distinct pipelines, 1 submit per run`,
      `memory: peak ${mb(s.peakBytes)} = variables ${mb(s.variableBytes)} + inputs ${mb(s.inputBytes)} + constants ${mb(s.constantBytes)} + planned intermediates ${mb(s.slotBytes)} (unplanned would be ${mb(s.unplannedBytes)}) + uniforms ${mb(s.uniformBytes)}`,
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

async function makeDispatch(device: Device, storage: StorageMap, node: Tensor, call: KernelCall): Promise<Dispatch> {
  const label = call.label ?? node.op!.name;
  const pipeline = await device.pipeline({ label, code: call.code, entryPoint: call.entryPoint ?? 'main', constants: call.constants ?? {} });
  const names: string[] = [];
  const entries: GPUBindGroupEntry[] = call.bindings.map((ref: BindingRef, binding) => {
    if ('uniform' in ref) {
      names.push('uniform');
      return { binding, resource: { buffer: storage.uniform(ref.uniform, `${label}/uniform`) } };
    }
    const t = 'input' in ref ? node.inputs[ref.input]! : node;
    if ('output' in ref && node.isEffect) throw new Error(`internal: effect ${node} has no output to bind`);
    names.push(`${'input' in ref ? 'in' : 'out'}:${storage.slotName(t)}`);
    return { binding, resource: { buffer: storage.of(t), offset: 0, size: Math.max(4, t.byteLength) } };
  });
  const bindGroup = device.gpu.createBindGroup({ label, layout: pipeline.getBindGroupLayout(0), entries });
  return { node, label, pipeline, bindGroup, workgroups: call.workgroups, buffers: names };
}
