// Per-kernel GPU times of a compiled program, from timestamp queries. The profiled run encodes the
// same dispatches as Program.run, each in a compute pass of its own whose timestampWrites record
// when it starts and ends, then resolves the timestamps and copies them to a staging buffer in the
// same command encoder: one submit, as a normal run. Without the adapter feature 'timestamp-query'
// (llvmpipe through OpenGL ES has none; Chrome hides it behind a flag) only the wall-clock time of
// the whole run is measured, unless the caller asks for `isolated` timing: each dispatch then runs
// alone, `steps` times back to back in a submit of its own, and the CPU times that submit. Isolated
// times leave out what a kernel gains or loses from its neighbours (caches, overlap), but they are
// the only per-kernel figures such an adapter can give.
import type { Device } from '../device/device';
import type { KernelInfo, Program } from './program';
import { fmt } from './shape';
import { timeSubmit } from './tuning-timer';
import type { Tensor } from './tensor';

export interface ProfileOptions {
  /** Steps of the profiled run (one submit). Inputs keep the values of the program's last run. */
  steps: number;
  /**
   * Time each dispatch on its own (one submit per dispatch, timed on the CPU) instead of with
   * timestamp queries. Works on every adapter; changes the number of submits.
   */
  isolated?: boolean;
}

/** What a dispatch costs, known without running it. */
export interface KernelCost {
  /** Position of the dispatch in the step. */
  index: number;
  label: string;
  node: Tensor;
  /** Output shape of the node, e.g. f32[16,8,26,26]. */
  shape: string;
  /** Floating-point operations per step (the op's flops(), else one per element written). */
  flops: number;
  /** Bytes of the tensors it reads and writes. */
  bytes: number;
}

export interface KernelTiming extends KernelCost {
  /** Mean GPU time per step, in microseconds. */
  micros: number;
  /** Fraction of the step: micros over the sum of every kernel's micros. */
  share: number;
  /** Achieved GFLOP/s and GB/s over the kernel's own time. */
  gflops: number;
  gbps: number;
}

interface ProfileBase {
  steps: number;
  /** FLOPs of one step: the sum over its dispatches. */
  stepFlops: number;
  /** Wall-clock time of the run per step, measured on the CPU (submit to results mapped). */
  wallStepMs: number;
}

export type ProgramProfile =
  | (ProfileBase & {
      timed: true;
      method: 'timestamps';
      /** One row per dispatch of the step, in step order. */
      kernels: KernelTiming[];
      /** Sum of the kernels' mean times: the step as the GPU spent it in kernels. */
      gpuStepMs: number;
      /** Mean time from the start of a step's first kernel to the end of its last (gaps included). */
      spanStepMs: number;
    })
  | (ProfileBase & {
      timed: true;
      /** Each dispatch timed alone on the CPU; wallStepMs is then the sum of those times. */
      method: 'isolated';
      kernels: KernelTiming[];
      gpuStepMs: number;
      /** Wall-clock time of one empty submit, taken off each dispatch's submit. */
      submitMs: number;
    })
  | (ProfileBase & {
      timed: false;
      /** Why there are no per-kernel times. */
      reason: string;
      kernels: KernelCost[];
    });

/** A query set holds at most 4096 queries (WebGPU's limit); longer runs use several. */
const QUERIES_PER_SET = 4096;
const TIMESTAMP_BYTES = 8;

export const NO_TIMESTAMPS =
  "this adapter has no 'timestamp-query' feature (llvmpipe through OpenGL ES has none), so per-kernel GPU times are unavailable; the whole step was timed on the CPU instead";

/** Runs `steps` steps of the program in one submit and reports each dispatch's GPU time. */
export async function profileProgram(program: Program, options: ProfileOptions): Promise<ProgramProfile> {
  const { steps } = options;
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`profile: steps must be a positive integer, got ${steps}`);
  const device = program.device;
  const kernels = program.kernels;
  const dispatchesOf = new Map<Tensor, number>();
  for (const k of kernels) dispatchesOf.set(k.node, (dispatchesOf.get(k.node) ?? 0) + 1);
  const costs = kernels.map((k, i) => kernelCost(k, i, dispatchesOf.get(k.node)!));
  const stepFlops = costs.reduce((sum, k) => sum + k.flops, 0);
  if (options.isolated) {
    const { micros, submitMs } = await isolatedRuns(device, kernels, steps);
    const timings = withTimes(costs, micros);
    const gpuStepMs = micros.reduce((sum, m) => sum + m, 0) / 1000;
    return { timed: true, method: 'isolated', kernels: timings, steps, stepFlops, wallStepMs: gpuStepMs, gpuStepMs, submitMs };
  }
  if (!device.gpu.features.has('timestamp-query')) {
    const started = performance.now();
    program.run({}, { steps });
    await device.sync();
    return { timed: false, reason: NO_TIMESTAMPS, kernels: costs, steps, stepFlops, wallStepMs: (performance.now() - started) / steps };
  }
  const { times, wallMs } = await timedRun(device, program.label, kernels, steps);
  const perStep = kernels.length;
  const micros = costs.map((_, i) => {
    let total = 0;
    for (let s = 0; s < steps; s++) total += duration(times, s * perStep + i);
    return total / steps / 1000;
  });
  let span = 0;
  for (let s = 0; s < steps; s++) span += Math.max(0, times[2 * ((s + 1) * perStep - 1) + 1]! - times[2 * s * perStep]!);
  const gpuStepMicros = micros.reduce((sum, m) => sum + m, 0);
  const timings = withTimes(costs, micros);
  return {
    timed: true,
    method: 'timestamps',
    kernels: timings,
    steps,
    stepFlops,
    wallStepMs: wallMs / steps,
    gpuStepMs: gpuStepMicros / 1000,
    spanStepMs: span / steps / 1e6,
  };
}

/** Each cost with its mean time per step, its share of the step and the rates it achieved. */
function withTimes(costs: readonly KernelCost[], micros: readonly number[]): KernelTiming[] {
  const total = micros.reduce((sum, m) => sum + m, 0);
  return costs.map((cost, i) => {
    const seconds = micros[i]! / 1e6;
    return {
      ...cost,
      micros: micros[i]!,
      share: total > 0 ? micros[i]! / total : 0,
      gflops: seconds > 0 ? cost.flops / seconds / 1e9 : 0,
      gbps: seconds > 0 ? cost.bytes / seconds / 1e9 : 0,
    };
  });
}

/**
 * Runs each dispatch `steps` times in a submit of its own and returns its mean time in microseconds,
 * less the cost of an empty submit (the fastest of a few), measured first.
 */
async function isolatedRuns(device: Device, kernels: readonly KernelInfo[], steps: number): Promise<{ micros: number[]; submitMs: number }> {
  device.check();
  let submitMs = Infinity;
  for (let i = 0; i < 5; i++) submitMs = Math.min(submitMs, await timeSubmit(device, 'isolated timing', () => {}));
  const micros: number[] = [];
  for (const k of kernels) {
    const ms = await timeSubmit(device, k.label, (pass) => {
      pass.setPipeline(k.pipeline);
      pass.setBindGroup(0, k.bindGroup);
      for (let s = 0; s < steps; s++) pass.dispatchWorkgroups(k.workgroups[0], k.workgroups[1], k.workgroups[2]);
    });
    micros.push((Math.max(0, ms - submitMs) * 1000) / steps);
  }
  return { micros, submitMs };
}

/** A node lowered to several dispatches shares its FLOPs evenly among them, so the step's sum holds. */
function kernelCost(kernel: KernelInfo, index: number, dispatchesOfNode: number): KernelCost {
  const node = kernel.node;
  const op = node.op!;
  // An effect writes its first input in place: count the elements written.
  const flops = (op.flops ? op.flops(node, node.attrs) : node.isEffect ? node.inputs[0]!.size : node.size) / dispatchesOfNode;
  const shape = node.isEffect ? `${node.inputs[0]!.dtype}${fmt(node.inputs[0]!.shape)}` : `${node.dtype}${fmt(node.shape)}`;
  return { index, label: kernel.label, node, shape, flops, bytes: kernel.bytes };
}

/** Nanoseconds between the begin and end timestamps of pass `pass` (never negative). */
function duration(times: Float64Array, pass: number): number {
  // WebGPU allows timestamps to go backwards (a clock change); such a pass counts as zero.
  return Math.max(0, times[2 * pass + 1]! - times[2 * pass]!);
}

/** Encodes `steps` steps, one pass per dispatch with begin and end timestamps; one submit. */
async function timedRun(device: Device, label: string, kernels: readonly KernelInfo[], steps: number): Promise<{ times: Float64Array; wallMs: number }> {
  const queries = 2 * kernels.length * steps;
  const sets: GPUQuerySet[] = [];
  for (let first = 0; first < queries; first += QUERIES_PER_SET) {
    sets.push(device.gpu.createQuerySet({ label: `${label}/timestamps`, type: 'timestamp', count: Math.min(QUERIES_PER_SET, queries - first) }));
  }
  const resolved = device.createBuffer(`${label}/timestamps`, queries * TIMESTAMP_BYTES, GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC);
  try {
    device.check();
    const encoder = device.gpu.createCommandEncoder({ label: `${label} (profiled)` });
    let query = 0;
    for (let s = 0; s < steps; s++) {
      for (const k of kernels) {
        const querySet = sets[Math.floor(query / QUERIES_PER_SET)]!;
        const at = query % QUERIES_PER_SET; // even, and QUERIES_PER_SET is even: a pair never straddles two sets
        const pass = encoder.beginComputePass({ label: k.label, timestampWrites: { querySet, beginningOfPassWriteIndex: at, endOfPassWriteIndex: at + 1 } });
        pass.setPipeline(k.pipeline);
        pass.setBindGroup(0, k.bindGroup);
        pass.dispatchWorkgroups(k.workgroups[0], k.workgroups[1], k.workgroups[2]);
        pass.end();
        query += 2;
      }
    }
    // Each set resolves to its own range; 4096 * 8 bytes keeps every offset a multiple of 256.
    sets.forEach((set, i) => encoder.resolveQuerySet(set, 0, set.count, resolved, i * QUERIES_PER_SET * TIMESTAMP_BYTES));
    const pending = device.encodeRead(encoder, resolved, 0, queries * TIMESTAMP_BYTES);
    const started = performance.now();
    device.gpu.queue.submit([encoder.finish()]);
    const bytes = await pending.bytes();
    const wallMs = performance.now() - started;
    // Nanoseconds as u64; below 2^53 (104 days of uptime) they convert to doubles exactly.
    return { times: Float64Array.from(new BigUint64Array(bytes), Number), wallMs };
  } finally {
    device.destroyBuffer(resolved);
    for (const set of sets) set.destroy();
  }
}
