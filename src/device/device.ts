// One Kiln device over one GPUDevice: compiles and caches pipelines, owns buffers, reads results back,
// and turns WebGPU's asynchronous errors and device loss into exceptions. It does not know whether
// it runs in Node (Dawn) or in a browser: the entry points in node.ts and browser.ts make it.
import { forgetDefaultDevice, offerDefaultDevice } from './default-device';
import type { AdapterSummary } from './adapter-info';
import { DeviceError, ShaderCompileError } from './errors';
import { StagingRing } from './staging-ring';
import { MemoryTuningStore, type TuningOptions } from './tuning-store';

/**
 * Tuning's limits on a software adapter. A compile spends at most 30 s tuning (once per adapter and
 * shape: the choices are stored). A kernel is left alone when one run takes over 2.5 s (it would take
 * some 20 s to time; SwiftShader's MNIST convolutions at batch 64 take 1-2 s, and are tuned), or under
 * 1 ms: compiling its variants (0.1-0.5 s each on a software adapter) costs more than it could save,
 * and on a software adapter such a run is mostly the cost of a dispatch, the same for every variant.
 */
export const DEFAULT_TUNING: Omit<TuningOptions, 'store'> = {
  enabled: true,
  budgetMs: 30_000,
  maxRunMs: 2_500,
  minRunMs: 1,
  warn: (message) => console.warn(message),
};

/**
 * On a hardware GPU nearly every kernel of a training step runs for microseconds, a variant compiles
 * in tens of milliseconds, and timestamp queries read nanoseconds: a kernel is worth tuning from
 * 15 µs a run, and one running a second is far too slow to tune.
 */
export const HARDWARE_TUNING: Pick<TuningOptions, 'minRunMs' | 'maxRunMs'> = { minRunMs: 0.015, maxRunMs: 1_000 };

export interface PipelineSpec {
  /** The kernel's name, used in error messages and GPU debug labels (for example `matmul`). */
  label: string;
  code: string;
  entryPoint?: string;
  /** WGSL `override` constants: tile sizes and shape values known when the graph is compiled. */
  constants?: Record<string, number>;
}

/** A read whose copy is recorded in a caller's command encoder (see Device.encodeRead). */
export interface PendingRead {
  /** The bytes, once the submit that holds the copy has run; call it after that submit. */
  bytes(): Promise<ArrayBuffer>;
}

/** Bytes and counts of what this device has created: what memory plans are checked against. */
export interface DeviceStats {
  buffersCreated: number;
  bytesAllocated: number;
  pipelinesCompiled: number;
}

export class Device {
  readonly gpu: GPUDevice;
  readonly adapter: AdapterSummary;
  readonly stats: DeviceStats = { buffersCreated: 0, bytesAllocated: 0, pipelinesCompiled: 0 };
  private readonly modules = new Map<string, GPUShaderModule>();
  private readonly pipelines = new Map<string, Promise<GPUComputePipeline>>();
  private readonly pendingErrors: string[] = [];
  /** Staging buffers of read(): reused, so steady-state reads create no buffer. */
  /** @internal */
  readonly staging = new StagingRing(
    (label, size, usage) => this.createBuffer(label, size, usage),
    (buffer) => this.destroyBuffer(buffer),
  );
  private lostReason: string | null = null;
  /**
   * Whatever must stay alive as long as the device does. In Node this is the object `create()` of
   * the `webgpu` package returned: if it is garbage-collected, Dawn crashes the process.
   */
  private readonly keepAlive: unknown;
  /**
   * Whether programs compiled on this device fuse kernels unless their compile options say otherwise.
   * Node's openDevice turns it off for KILN_FUSION=off, so every test can run both ways.
   */
  fusion = true;
  /**
   * Compile-time kernel tuning (src/graph/tuning.ts): on, with choices kept in memory, unless an
   * entry point attaches a lasting store (Node: a JSON file, browser: localStorage) or turns it off
   * (Node: KILN_TUNING=off). Replace the object to change a setting.
   */
  tuning: TuningOptions;

  constructor(gpu: GPUDevice, adapter: AdapterSummary, keepAlive?: unknown) {
    this.gpu = gpu;
    this.adapter = adapter;
    this.tuning = { ...DEFAULT_TUNING, ...(adapter.isSoftware ? {} : HARDWARE_TUNING), store: new MemoryTuningStore() };
    this.keepAlive = keepAlive;
    offerDefaultDevice(this);
    gpu.addEventListener('uncapturederror', (event) => {
      const error = (event as GPUUncapturedErrorEvent).error;
      this.pendingErrors.push(`${error.constructor.name}: ${error.message}`);
    });
    void gpu.lost.then((info) => {
      if (info.reason !== 'destroyed') this.lostReason = `${info.reason}: ${info.message}`;
      else this.lostReason ??= 'the device was destroyed';
    });
  }

  /** The object kept alive with the device (see keepAlive); exposed so tests can assert it is held. */
  get owner(): unknown {
    return this.keepAlive;
  }

  get limits(): Record<string, number> {
    return this.adapter.limits;
  }

  /** Throws if the device was lost or WebGPU reported an error since the last check. */
  check(): void {
    if (this.lostReason !== null) throw new DeviceError(`GPU device lost (${this.lostReason})`);
    if (this.pendingErrors.length > 0) {
      const errors = this.pendingErrors.splice(0);
      throw new DeviceError(`WebGPU reported ${errors.length} error(s):\n  ${errors.join('\n  ')}`);
    }
  }

  /** A compute pipeline from the cache, compiled on first use with createComputePipelineAsync. */
  pipeline(spec: PipelineSpec): Promise<GPUComputePipeline> {
    const entryPoint = spec.entryPoint ?? 'main';
    const constants = spec.constants ?? {};
    const constantKey = Object.keys(constants)
      .sort()
      .map((k) => `${k}=${constants[k]}`)
      .join(',');
    const key = `${entryPoint}|${constantKey}|${spec.code}`;
    let pipeline = this.pipelines.get(key);
    if (!pipeline) {
      pipeline = this.compile(spec, entryPoint, constants);
      this.pipelines.set(key, pipeline);
      pipeline.catch(() => this.pipelines.delete(key));
    }
    return pipeline;
  }

  private async compile(spec: PipelineSpec, entryPoint: string, constants: Record<string, number>): Promise<GPUComputePipeline> {
    this.check();
    let module = this.modules.get(spec.code);
    if (!module) {
      // Dawn reports WGSL errors through the validation scope as well as getCompilationInfo(); take
      // both so the error names this kernel instead of surfacing later as an uncaptured error.
      // The scope is pushed and popped around this one call with no await between: scopes are a
      // per-device stack, and pipelines compile concurrently.
      this.gpu.pushErrorScope('validation');
      module = this.gpu.createShaderModule({ label: spec.label, code: spec.code });
      const popped = this.gpu.popErrorScope();
      const info = await module.getCompilationInfo();
      const scopeError = await popped;
      const errors = info.messages.filter((m) => m.type === 'error');
      if (errors.length > 0) throw new ShaderCompileError(formatCompileErrors(spec.label, spec.code, errors));
      if (scopeError) throw new ShaderCompileError(`${spec.label}: WGSL compile error\n${scopeError.message}`);
      this.modules.set(spec.code, module);
    }
    try {
      // Rejects with a GPUPipelineError on validation failure (bad constants, limits exceeded).
      const pipeline = await this.gpu.createComputePipelineAsync({
        label: spec.label,
        layout: 'auto',
        compute: { module, entryPoint, constants },
      });
      this.stats.pipelinesCompiled++;
      return pipeline;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new ShaderCompileError(`${spec.label}: pipeline creation failed (entry point ${entryPoint}, constants ${JSON.stringify(constants)}): ${message}`);
    }
  }

  createBuffer(label: string, size: number, usage: GPUBufferUsageFlags): GPUBuffer {
    this.check();
    const bytes = Math.max(16, Math.ceil(size / 16) * 16);
    const maxBuffer = this.limits['maxBufferSize'] ?? Infinity;
    if (bytes > maxBuffer) {
      throw new DeviceError(`${label}: a buffer of ${bytes} bytes exceeds this adapter's maxBufferSize (${maxBuffer})`);
    }
    this.stats.buffersCreated++;
    this.stats.bytesAllocated += bytes;
    return this.gpu.createBuffer({ label, size: bytes, usage });
  }

  /** A storage buffer usable as a kernel input/output and as a copy source and destination. */
  createStorage(label: string, size: number): GPUBuffer {
    return this.createBuffer(label, size, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST);
  }

  /** Frees a buffer made by createBuffer and takes it off the byte count. */
  destroyBuffer(buffer: GPUBuffer): void {
    this.stats.bytesAllocated -= buffer.size;
    buffer.destroy();
  }

  write(buffer: GPUBuffer, byteOffset: number, data: ArrayBufferView): void {
    // writeBuffer needs a size that is a multiple of 4: pad small byte arrays.
    let view = data;
    if (data.byteLength % 4 !== 0) {
      const padded = new Uint8Array(Math.ceil(data.byteLength / 4) * 4);
      padded.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      view = padded;
    }
    this.gpu.queue.writeBuffer(buffer, byteOffset, view.buffer, view.byteOffset, view.byteLength);
  }

  /**
   * Copies bytes out of a GPU buffer, after the work already submitted, through a reused staging
   * buffer. Costs one submit and a queue round trip: keep it out of per-step loops.
   */
  async read(buffer: GPUBuffer, byteOffset: number, byteLength: number): Promise<ArrayBuffer> {
    this.check();
    const encoder = this.gpu.createCommandEncoder({ label: 'readback' });
    const pending = this.encodeRead(encoder, buffer, byteOffset, byteLength);
    this.gpu.queue.submit([encoder.finish()]);
    return pending.bytes();
  }

  /**
   * Records a read's copy into `encoder`, for a caller that submits it with its own work (a profiled
   * run and its timestamps in one submit). Call bytes() once that encoder is submitted: it maps the
   * staging slot then, and gives the slot back to the ring once the bytes are copied out.
   */
  /** @internal */
  encodeRead(encoder: GPUCommandEncoder, buffer: GPUBuffer, byteOffset: number, byteLength: number): PendingRead {
    if (byteOffset % 4 !== 0) throw new RangeError(`read: byte offset ${byteOffset} is not a multiple of 4`);
    const size = Math.ceil(byteLength / 4) * 4;
    const slot = this.staging.acquire(Math.max(size, 4));
    if (size > 0) encoder.copyBufferToBuffer(buffer, byteOffset, slot, 0, size);
    let bytes: Promise<ArrayBuffer> | null = null;
    return { bytes: () => (bytes ??= this.finishRead(slot, Math.max(size, 4), byteLength)) };
  }

  private async finishRead(slot: GPUBuffer, mapped: number, byteLength: number): Promise<ArrayBuffer> {
    try {
      await slot.mapAsync(GPUMapMode.READ, 0, mapped);
    } catch (error) {
      this.staging.discard(slot);
      this.check();
      throw new DeviceError(`readback failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    const bytes = slot.getMappedRange(0, mapped).slice(0, byteLength);
    slot.unmap();
    this.staging.release(slot);
    this.check();
    return bytes;
  }

  /** Waits for all submitted work, then reports any error it raised. */
  async sync(): Promise<void> {
    await this.gpu.queue.onSubmittedWorkDone();
    this.check();
  }

  destroy(): void {
    forgetDefaultDevice(this);
    this.gpu.destroy();
  }
}

function formatCompileErrors(label: string, code: string, errors: readonly GPUCompilationMessage[]): string {
  const lines = code.split('\n');
  const parts = errors.map((m) => {
    const source = lines[m.lineNum - 1] ?? '';
    return `  line ${m.lineNum}:${m.linePos}: ${m.message}\n    ${source.trim()}`;
  });
  return `${label}: WGSL compile error\n${parts.join('\n')}`;
}
