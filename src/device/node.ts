// Node entry point of the device manager: opens an adapter through Dawn (npm package `webgpu`).
// Order when nothing is forced: a real GPU, else SwiftShader through Vulkan (the ICD Debian's
// chromium package ships), else Mesa's llvmpipe through OpenGL ES in compatibility mode.
import * as fs from 'node:fs';
import { existsSync, readdirSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { AdapterError } from './errors';
import { Device } from './device';
import { isSoftwareAdapter, requiredLimits, summarizeAdapter, type BackendName } from './adapter-info';
import { optionalFeatures } from './features';
import { fileTuningStore } from './tuning-store-file';
import type { TuningStore } from './tuning-store';

export type AdapterChoice = 'auto' | 'gpu' | 'swiftshader' | 'llvmpipe';
export const ADAPTER_CHOICES: readonly AdapterChoice[] = ['auto', 'gpu', 'swiftshader', 'llvmpipe'];

export interface OpenDeviceOptions {
  /** Which adapter to use; defaults to $KILN_ADAPTER, else 'auto'. */
  adapter?: string;
  /** Dawn toggles, for example 'disable_robustness' (faster on software adapters, less safe). */
  dawnFeatures?: string[];
  /** Default for Program.compile's `fusion`; defaults to true unless $KILN_FUSION is 'off' or '0'. */
  fusion?: boolean;
  /** Compile-time kernel tuning (src/graph/tuning.ts); defaults to true unless $KILN_TUNING is 'off' or '0'. */
  tuning?: boolean;
  /**
   * With `adapter: 'auto'` and no GPU, the software adapter to try first (default SwiftShader, then
   * llvmpipe). llvmpipe runs conv nets several times faster, but allows only 128 MiB per binding and
   * has no timestamp queries; SwiftShader is faster for tiny steps.
   */
  prefer?: SoftwareAdapter;
}

export type SoftwareAdapter = 'swiftshader' | 'llvmpipe';

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

type WebGpuModule = typeof import('webgpu');
type GpuEntry = ReturnType<WebGpuModule['create']>;

let webgpu: WebGpuModule | null = null;
/**
 * Every object `create()` returned, held for the life of the process: Dawn crashes (segfault or
 * futex abort) at the next await once one is garbage-collected while an adapter from it lives.
 */
const liveEntries: GpuEntry[] = [];

async function loadWebGpu(): Promise<WebGpuModule> {
  if (webgpu) return webgpu;
  process.env['XDG_RUNTIME_DIR'] ??= tmpdir(); // silences Vulkan loader noise in containers
  try {
    webgpu = await import('webgpu');
  } catch (error) {
    throw new AdapterError(`cannot load the npm package 'webgpu' (Dawn for Node): ${error instanceof Error ? error.message : String(error)}. Run npm install.`);
  }
  // WebGPU's global constants (GPUBufferUsage, GPUMapMode, ...) as a browser defines them.
  Object.assign(globalThis, webgpu.globals);
  return webgpu;
}

export function parseAdapterChoice(name: string | undefined): AdapterChoice {
  const choice = (name ?? 'auto').trim().toLowerCase();
  if (choice === '') return 'auto';
  if (!(ADAPTER_CHOICES as readonly string[]).includes(choice)) {
    throw new AdapterError(`unknown adapter '${name}': expected one of ${ADAPTER_CHOICES.join(', ')} (from --adapter or KILN_ADAPTER)`);
  }
  return choice as AdapterChoice;
}

interface Attempt {
  backend: Exclude<BackendName, 'browser'>;
  flags: string[];
  env: Record<string, string>;
  options?: GPURequestAdapterOptions;
  compatibility: boolean;
}

function attemptFor(backend: Attempt['backend'], dawnFeatures: string[]): Attempt {
  // Dawn rounds timestamps down to 65.536 µs by default (a browser's guard against timing attacks,
  // which a Node process has no use for); `kiln profile` needs the nanoseconds.
  const toggles = ['disable-dawn-features=timestamp_quantization', ...(dawnFeatures.length ? [`enable-dawn-features=${dawnFeatures.join(',')}`] : [])];
  switch (backend) {
    case 'gpu':
      return { backend, flags: toggles, env: {}, options: { powerPreference: 'high-performance' }, compatibility: false };
    case 'swiftshader':
      return { backend, flags: ['backend=vulkan', ...toggles], env: { VK_ICD_FILENAMES: SWIFTSHADER_ICD }, compatibility: false };
    case 'llvmpipe':
      return {
        backend,
        flags: ['backend=opengles', ...toggles],
        env: { EGL_PLATFORM: 'surfaceless' },
        options: { featureLevel: 'compatibility' } as GPURequestAdapterOptions,
        compatibility: true,
      };
  }
}

/** Sets variables for the duration of one create() + requestAdapter(): the loaders read them then. */
async function withEnv<T>(env: Record<string, string>, body: () => Promise<T>): Promise<T> {
  const saved = Object.keys(env).map((k) => [k, process.env[k]] as const);
  Object.assign(process.env, env);
  try {
    return await body();
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

async function tryAdapter(module: WebGpuModule, attempt: Attempt): Promise<{ adapter: GPUAdapter; entry: GpuEntry } | string> {
  if (attempt.backend === 'swiftshader' && !existsSync(SWIFTSHADER_ICD)) {
    return `SwiftShader: ${SWIFTSHADER_ICD} not found (apt-get install chromium libvulkan1)`;
  }
  return withEnv(attempt.env, async () => {
    const entry = module.create(attempt.flags);
    liveEntries.push(entry);
    const adapter = await entry.requestAdapter(attempt.options);
    if (!adapter) return `${attempt.backend}: no adapter`;
    if (attempt.backend === 'gpu' && isSoftwareAdapter(adapter.info)) {
      return `gpu: only a software adapter (${adapter.info.description || adapter.info.device}) was found`;
    }
    return { adapter, entry };
  });
}

/**
 * Whether probing for a real GPU can find one. On Linux a GPU always has a device node; without one
 * the probe only finds lavapipe, which Dawn rejects after printing warnings, so auto mode skips it.
 */
function mayHaveGpu(): boolean {
  if (process.platform !== 'linux') return true;
  if (existsSync('/dev/dxg')) return true; // WSL
  try {
    if (readdirSync('/dev').some((name) => /^nvidia\d+$/.test(name))) return true;
    return readdirSync('/dev/dri').some((name) => name.startsWith('renderD'));
  } catch {
    return false;
  }
}

const isOff = (value: string | undefined): boolean => ['off', '0', 'false'].includes((value ?? '').trim().toLowerCase());

/**
 * Where Node keeps kernel tuning choices: $KILN_TUNING_CACHE, else $XDG_CACHE_HOME/kiln/tuning.json,
 * else ~/.cache/kiln/tuning.json.
 */
export function tuningCachePath(env: Record<string, string | undefined> = process.env): string {
  if (env['KILN_TUNING_CACHE']) return env['KILN_TUNING_CACHE'];
  const base = env['XDG_CACHE_HOME'] || `${homedir()}/.cache`;
  return `${base}/kiln/tuning.json`;
}

/** The tuning cache as a JSON file (written to a temporary file, then renamed). */
export function nodeTuningStore(path = tuningCachePath()): TuningStore {
  return fileTuningStore(path, fs);
}

/** Opens a Kiln device in Node. Throws AdapterError naming what was tried and what to install. */
export async function openDevice(options: OpenDeviceOptions = {}): Promise<Device> {
  const choice = parseAdapterChoice(options.adapter ?? process.env['KILN_ADAPTER']);
  const module = await loadWebGpu();
  const software: Attempt['backend'][] = options.prefer === 'llvmpipe' ? ['llvmpipe', 'swiftshader'] : ['swiftshader', 'llvmpipe'];
  const order: Attempt['backend'][] = choice !== 'auto' ? [choice] : mayHaveGpu() ? ['gpu', ...software] : software;
  const failures: string[] = [];
  for (const backend of order) {
    const attempt = attemptFor(backend, options.dawnFeatures ?? []);
    const found = await tryAdapter(module, attempt);
    if (typeof found === 'string') {
      failures.push(found);
      continue;
    }
    const gpu = await found.adapter.requestDevice({
      label: `kiln-${backend}`,
      requiredLimits: requiredLimits(found.adapter),
      requiredFeatures: optionalFeatures(found.adapter),
    });
    const summary = summarizeAdapter(found.adapter, gpu, backend, attempt.compatibility);
    const device = new Device(gpu, summary, found.entry);
    device.fusion = options.fusion ?? !isOff(process.env['KILN_FUSION']);
    device.tuning = {
      ...device.tuning,
      enabled: options.tuning ?? !isOff(process.env['KILN_TUNING']),
      store: nodeTuningStore(),
      warn: (message) => process.emitWarning(message, 'KilnTuningWarning'),
    };
    return device;
  }
  throw new AdapterError(
    `no WebGPU adapter could be opened (${failures.join('; ')}). ` +
      'On Debian: apt-get install chromium libvulkan1 (SwiftShader) or libegl1 libegl-mesa0 libgles2 (llvmpipe).',
  );
}
