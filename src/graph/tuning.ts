// Compile-time kernel tuning. A KernelCall may offer variants (override constants and workgroup
// counts: a workgroup size, a split count); Program.compile asks a Tuner which one each dispatch runs.
// The answer comes from the device's tuning cache, keyed by the adapter and by the kernel's label,
// code and default constants (which hold its shape); on a miss the Tuner times the variants on the
// call's real bindings and stores the fastest.
//
// Running a kernel at compile time is safe because only value kernels offer variants: they write
// nothing but their own output, an intermediate that every step computes before reading it.
//
// Tuning starts once every pipeline of the program has compiled (compiles would compete with the
// timed runs for a software adapter's CPU) and takes the misses one at a time, smallest first. The
// default runs first: a kernel too slow to time (DEFAULT_TUNING.maxRunMs, estimated from the FLOP
// rate of the kernels before it, then measured) or too quick to gain anything keeps its default.
// Otherwise it goes in two stages: the first variant of each form (code) against the default, then
// the other variants (workgroup sizes, split ranges) of the winner's form against the winner. In each
// stage the variants compile in parallel and are timed: a warm-up run (a software adapter may
// compile the kernel at its first dispatch), then two trials, the variants in one order then the
// reverse (a kernel that runs 10 ms or more: a one-workgroup warm-up, then the second trial only for
// the variants within 20% of the best); a variant must beat the one to beat by MARGIN. A compile
// spends at most budgetMs on all this; kernels past it keep their default until a later process.
import type { Device } from '../device/device';
import { TuningCache, type TuningRecord } from '../device/tuning-store';
import type { KernelCall, KernelVariant } from '../ops/op';
import type { Tensor } from './tensor';
import { timeTrial, type Trial } from './tuning-timer';

/** What a dispatch runs, as decided. */
export interface Selected extends Trial {
  /** The variant's name; absent for calls that offer none. */
  variant?: string;
  /** The call's kernel key (kernelKey), for calls that offer variants. */
  key?: string;
}

export interface TunerOptions {
  /** false: every call runs its first (default) form, whatever the cache or `force` say: the same kernels on every run of an adapter. */
  tuning?: boolean;
  /** Forms decided before (kernel key -> variant name, from a checkpoint): used where this device offers them. */
  pinned?: ReadonlyMap<string, string>;
}

/** One call on its way through the Tuner: begun before its bind group entries exist. */
export interface PendingSelection {
  /** Settles once the pipeline the call would run untuned is compiled (rejects on a compile error). */
  ready: Promise<unknown>;
  /** The pipeline, bind group and workgroups to dispatch, given the call's bind group entries. */
  finish(entries: GPUBindGroupEntry[]): Promise<Selected>;
}

/** Trials whose total time is about this long give readings well above the timer's noise. */
const TRIAL_MS = 5;
const MAX_REPS = 64;
/** Kernels whose single run takes at least this long are timed run by run (a trial of many would be long). */
const SLOW_MS = 10;
/** A guess at one variant's pipeline compile, for the budget: SwiftShader takes about 0.5 s, a GPU's driver tens of milliseconds. */
const COMPILE_MS = { software: 500, hardware: 100 };
/** A variant replaces the default only when faster by more than this fraction (noise guard). */
const MARGIN = 0.05;
/** A slow kernel's variant is timed a second time only when its first run is within this factor of the best. */
const CONTENDER = 1.2;

const caches = new WeakMap<object, TuningCache>();

/** The cache of the device's current store: each store is read once per process. */
function cacheOf(device: Device): TuningCache {
  const { store, warn } = device.tuning;
  let cache = caches.get(store);
  if (!cache) caches.set(store, (cache = new TuningCache(store, warn)));
  return cache;
}

/** The key of the adapter's section of the cache: every field that tells two adapters apart. */
export function adapterKey(device: Pick<Device, 'adapter'>): string {
  const a = device.adapter;
  return [a.backend, a.vendor, a.architecture, a.device, a.description].join('|');
}

/** The key of a call within an adapter's section: its label, default constants (the shape) and a hash of its code and variants. */
export function kernelKey(label: string, call: KernelCall): string {
  const constants = call.constants ?? {};
  const shape = Object.keys(constants)
    .sort()
    .map((k) => `${k}=${constants[k]}`)
    .join(',');
  const variants = (call.variants ?? [])
    .map((v) => `${v.name}:${v.entryPoint ?? ''}:${JSON.stringify(v.constants)}:${v.code === undefined ? '' : hash(v.code)}`)
    .join(';');
  return `${label}|${hash(`${call.entryPoint ?? 'main'}\n${call.code}\n${variants}`)}|${shape}`;
}

/** A cache miss waiting for its turn to be tuned. */
interface Job {
  key: string;
  label: string;
  call: KernelCall;
  flops: number;
  entries: GPUBindGroupEntry[];
  fallback: Selected;
  done(selected: Promise<Selected>): void;
}

/** Chooses the variant of each call of one compile, timing the uncached ones. */
export class Tuner {
  /** Milliseconds spent tuning in this compile: timed runs, and compiling the variants timed. */
  elapsedMs = 0;
  /** Cache misses measured in this compile and stored (tuned, or found not worth tuning). */
  kernelsTuned = 0;
  private readonly cache: TuningCache | null;
  private readonly adapter: string;
  /** Every pipeline compile of the program: tuning waits for all of them. */
  private readonly compiles: Promise<unknown>[] = [];
  /** Cache misses begun, and those whose bind group entries have arrived (tuning starts when all have). */
  private misses = 0;
  private readonly jobs: Job[] = [];
  /** The most FLOP per millisecond a kernel has run at in this compile: estimates before running one. */
  private rate = 0;

  private readonly enabled: boolean;
  private readonly pinned: ReadonlyMap<string, string>;

  constructor(
    private readonly device: Device,
    options: TunerOptions = {},
  ) {
    this.enabled = options.tuning !== false;
    this.pinned = options.pinned ?? new Map();
    this.cache = this.enabled && device.tuning.enabled && device.tuning.force === undefined ? cacheOf(device) : null;
    this.adapter = adapterKey(device);
  }

  /**
   * Starts compiling the pipeline `call` runs untuned (or the cached pick). Call it for every call of
   * the program before awaiting anything: tuning starts once every call of the program has begun,
   * every pipeline has compiled, and every cache miss has its bind group entries (finish).
   */
  begin(node: Tensor, label: string, call: KernelCall): PendingSelection {
    const variants = this.offered(call);
    const runnable = this.runnable(call);
    if (runnable.length > 0 && node.isEffect)
      throw new Error(`internal: ${node} (${label}) offers kernel variants, but effects write state and cannot be timed`);
    const options = this.device.tuning;
    const key = variants.length > 1 ? kernelKey(label, call) : undefined;
    const pinned = key !== undefined ? this.pinned.get(key) : undefined;
    if (pinned !== undefined) {
      const variant = runnable.find((v) => v.name === pinned);
      if (variant) return this.fixed(label, call, variant, key);
      const wanted = call.variants?.find((v) => v.name === pinned);
      const why = wanted ? unmetNeeds(this.device, wanted) : undefined;
      options.warn(
        `${label}: the checkpoint's kernel form ${pinned} ${why ? `needs ${why}, which this adapter lacks` : 'is not one this kernel offers'}; another form runs, so results may differ in the last bits`,
      );
    }
    if (!this.enabled) return this.fixed(label, call, variants[0], key);
    if (options.force !== undefined) return this.fixed(label, call, runnable.find((v) => v.name === options.force) ?? variants[0], key);
    if (key === undefined || !options.enabled) return this.fixed(label, call, variants[0], key);
    const cached = this.cache!.get(this.adapter, key);
    const pick = cached && variants.find((v) => v.name === cached.pick);
    if (pick) return this.fixed(label, call, pick, key);
    this.misses++;
    const flops = node.op!.flops?.(node, node.attrs) ?? node.size;
    const pipeline = this.compile(label, call, variants[0]);
    return {
      ready: pipeline,
      finish: async (entries) => {
        const fallback = this.trial(label, call, await pipeline, entries, variants[0]);
        return new Promise<Selected>((resolve) => {
          this.jobs.push({ key, label, call, flops, entries, fallback, done: (selected) => resolve(selected.then((s) => ({ ...s, key }))) });
          if (this.jobs.length === this.misses) void this.run();
        });
      },
    };
  }

  /** The call's variants this device can run: those needing a feature or limits it lacks are left out. */
  private runnable(call: KernelCall): readonly KernelVariant[] {
    return (call.variants ?? []).filter((v) => unmetNeeds(this.device, v) === undefined);
  }

  /** The variants tuning tries: the runnable ones, less those shaped for hardware GPUs on a software adapter. */
  private offered(call: KernelCall): readonly KernelVariant[] {
    return this.runnable(call).filter((v) => !(v.needs?.hardware && this.device.adapter.isSoftware));
  }

  /** Writes what this compile decided to the store (once per compile). */
  finish(): void {
    this.cache?.flush();
  }

  /** Milliseconds per run of `trial` over `reps` runs: the device's clock, or the one its tuning options name. */
  private time(trial: Selected, reps: number): Promise<number> {
    const timer = this.device.tuning.timer;
    return timer ? timer(trial, reps) : timeTrial(this.device, trial, reps);
  }

  private fixed(label: string, call: KernelCall, variant: KernelVariant | undefined, key: string | undefined): PendingSelection {
    const pipeline = this.compile(label, call, variant);
    return {
      ready: pipeline,
      finish: async (entries) => ({ ...this.trial(label, call, await pipeline, entries, variant), ...(key !== undefined ? { key } : {}) }),
    };
  }

  private compile(label: string, call: KernelCall, variant: KernelVariant | undefined): Promise<GPUComputePipeline> {
    const constants = { ...call.constants, ...variant?.constants };
    const pipeline = this.device.pipeline({ label, code: variant?.code ?? call.code, entryPoint: variant?.entryPoint ?? call.entryPoint ?? 'main', constants });
    this.compiles.push(pipeline.catch(() => undefined));
    return pipeline;
  }

  /** The bind group for one pipeline: 'auto' layouts belong to their pipeline, so each variant needs its own. */
  private trial(label: string, call: KernelCall, pipeline: GPUComputePipeline, entries: GPUBindGroupEntry[], variant: KernelVariant | undefined): Selected {
    const bindGroup = this.device.gpu.createBindGroup({ label, layout: pipeline.getBindGroupLayout(0), entries });
    return variant ? { pipeline, bindGroup, workgroups: variant.workgroups, variant: variant.name } : { pipeline, bindGroup, workgroups: call.workgroups };
  }

  /**
   * Tunes the misses one at a time, the smallest (in FLOPs) first: what they run at bounds the
   * time of the larger ones before they run, so a kernel that is far too slow to time is never run.
   */
  private async run(): Promise<void> {
    await Promise.all(this.compiles);
    this.jobs.sort((a, b) => a.flops - b.flops);
    for (const job of this.jobs) {
      const selected = this.tune(job);
      job.done(selected);
      await selected.catch(() => undefined);
    }
  }

  /**
   * One cache miss: times the default, and when that says it is worth it and it fits the budget,
   * compiles the other variants (in parallel) and times them all; records the pick.
   *
   * What a kernel's own readings decide (too slow or too quick to tune, the fastest variant) is
   * stored. What the budget decides is recorded for this process only, so that every compile of
   * the process runs the same kernels (and a later process tunes them): a variant may change the
   * order of a sum's additions, and two compiles of a graph should give the same numbers.
   */
  private async tune(job: Job): Promise<Selected> {
    const { key, label, call, flops, entries, fallback } = job;
    const options = this.device.tuning;
    const variants = this.offered(call);
    const first = variants[0]!.name;
    const cache = this.cache!;
    const keep = (record: TuningRecord): Selected => {
      cache.set(this.adapter, key, record);
      this.kernelsTuned++;
      return fallback;
    };
    const later = (why: string): Selected => {
      cache.set(this.adapter, key, { pick: first, us: {}, skipped: why }, { transient: true });
      return fallback;
    };
    if (this.elapsedMs >= options.budgetMs) return later('the compile spent its tuning budget');
    const guess = this.rate > 0 ? flops / this.rate : 0;
    if (guess > options.maxRunMs) return later(`a run should take about ${guess.toFixed(0)} ms, over the ${options.maxRunMs} ms limit`);
    const started = performance.now();
    const spent = () => this.elapsedMs + performance.now() - started;
    try {
      // A warm-up run (a software adapter may compile the kernel at its first dispatch), then a
      // reading that says whether the kernel is worth tuning, and cheap enough.
      const warm = await this.time(fallback, 1);
      const single = await this.time(fallback, 1);
      this.rate = Math.max(this.rate, flops / Math.max(single, 1e-3));
      if (single > options.maxRunMs)
        return keep({ pick: first, us: { [first]: micros(single) }, skipped: `a run takes ${single.toFixed(0)} ms, over the ${options.maxRunMs} ms limit` });
      const reps = single >= SLOW_MS ? 1 : Math.max(1, Math.min(MAX_REPS, Math.round(TRIAL_MS / Math.max(single, 1e-3))));
      const amortized = reps > 1 ? await this.time(fallback, reps) : single;
      // Too quick to gain from tuning on this device, this time: recorded for this process only, since a
      // reading that short is mostly the dispatch's cost and noise (a later process measures again).
      if (amortized < options.minRunMs) {
        cache.set(
          this.adapter,
          key,
          { pick: first, us: { [first]: micros(amortized) }, skipped: `a run takes ${micros(amortized)} µs, too short to gain from tuning` },
          { transient: true },
        );
        return fallback;
      }
      // Each other variant: its compile, a warm-up and two trials.
      const compileMs = this.device.adapter.isSoftware ? COMPILE_MS.software : COMPILE_MS.hardware;
      const estimate = (variants.length - 1) * ((2 * reps + 1) * amortized + compileMs);
      if (spent() + estimate > options.budgetMs) return later(`tuning it would take about ${(estimate / 1000).toFixed(1)} s, past the compile's budget`);
      // Stage one: the default and the first variant of each other code (a form: subgroup rows,
      // quads...). Stage two: the other variants of the winner's code (its workgroup sizes, split
      // ranges), against the winner. A software adapter compiles each variant for 0.1-1 s, so
      // skipping the sizes of forms that lost halves a cold compile on SwiftShader.
      const codeOf = (v: KernelVariant) => v.code ?? call.code;
      const leaders = variants.filter((v, i) => variants.findIndex((w) => codeOf(w) === codeOf(v)) === i);
      const us: Record<string, number> = {};
      let winner: { variant: KernelVariant; trial: Selected; ms: number } = { variant: variants[0]!, trial: fallback, ms: Math.min(warm, single, amortized) };
      const stages = [() => leaders.slice(1), () => variants.filter((v) => !leaders.includes(v) && codeOf(v) === codeOf(winner.variant))];
      for (const next of stages) {
        const stage = next();
        if (stage.length === 0) continue;
        const pipelines = await Promise.all(stage.map((v) => this.compile(label, call, v)));
        const trials = [winner.trial, ...pipelines.map((p, i) => this.trial(label, call, p, entries, stage[i]))];
        const best = await this.measure(trials, reps, winner.ms);
        [winner.variant, ...stage].forEach((v, i) => (us[v.name] = micros(best[i]!)));
        let pick = 0;
        best.forEach((ms, i) => {
          if (ms < best[pick]!) pick = i;
        });
        if (pick > 0 && best[pick]! <= best[0]! * (1 - MARGIN)) winner = { variant: stage[pick - 1]!, trial: trials[pick]!, ms: best[pick]! };
      }
      keep({ pick: winner.variant.name, us });
      return winner.trial;
    } catch (error) {
      throw new Error(`tuning ${label}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      this.elapsedMs += performance.now() - started;
    }
  }

  /**
   * The best milliseconds per run of each trial (the first, the default, already warm with
   * `firstBest`). Slow kernels (reps = 1): a one-workgroup warm-up each, a run each, then a second run
   * for the contenders. Fast ones: a warm-up each, then two trials of `reps` runs, the variants in one
   * order then the reverse (a drifting background load then favours none).
   */
  private async measure(trials: readonly Selected[], reps: number, firstBest: number): Promise<number[]> {
    const best = trials.map((_, i) => (i === 0 ? firstBest : Infinity));
    if (reps === 1) {
      // Two rounds, the second in the reverse order (a single run of a slow kernel on a shared
      // machine can be 20% off; back to back, a variant's two runs would share a bad patch). The
      // second round runs only the variants within CONTENDER of the best so far: the rest cannot win
      // but by noise, and each run of a slow kernel costs a software adapter's compile 0.1-0.5 s.
      const others = trials.map((_, i) => i).slice(1);
      // llvmpipe compiles a kernel at its first dispatch: one workgroup pays for that cheaply.
      for (const i of others) await this.time({ ...trials[i]!, workgroups: [1, 1, 1] }, 1);
      for (const i of others) best[i] = await this.time(trials[i]!, 1);
      const leader = Math.min(...best);
      for (const i of [...others].reverse()) {
        if (best[i]! <= leader * CONTENDER) best[i] = Math.min(best[i]!, await this.time(trials[i]!, 1));
      }
      return best;
    }
    for (const trial of trials.slice(1)) await this.time(trial, 1);
    const order = trials.map((_, i) => i);
    for (const round of [order, [...order].reverse()]) {
      for (const i of round) best[i] = Math.min(best[i]!, await this.time(trials[i]!, reps));
    }
    return best;
  }
}

/** What `variant` needs that `device` lacks (a feature, invocations per workgroup, workgroup memory), in words, or undefined. */
export function unmetNeeds(device: Pick<Device, 'gpu' | 'limits'>, variant: KernelVariant): string | undefined {
  if (variant.feature !== undefined && !device.gpu.features.has(variant.feature)) return `the ${variant.feature} feature`;
  const limits = device.limits;
  const { invocations = 0, workgroupBytes = 0 } = variant.needs ?? {};
  if (invocations > (limits['maxComputeInvocationsPerWorkgroup'] ?? Infinity)) return `${invocations} invocations per workgroup`;
  if (workgroupBytes > (limits['maxComputeWorkgroupStorageSize'] ?? Infinity)) return `${workgroupBytes} bytes of workgroup memory`;
  return undefined;
}

function micros(ms: number): number {
  return Math.round(ms * 1e4) / 10;
}

/** FNV-1a, 32 bits, as hex: short keys that change when a kernel's code changes. */
function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}
