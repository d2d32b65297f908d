// TensorFlow.js's WebGPU backend on Kiln's own GPUDevice, so both libraries run in one process on one
// adapter. The backend package only runs where `navigator.gpu` exists (Node 20 has no navigator), and
// its registered factory would open a second adapter and device: instead the 'webgpu' backend is
// registered again as `new WebGPUBackend(device.gpu, adapterInfo)`. The kernels of the package stay
// registered under the name 'webgpu', which is why that name is reused.
import { createRequire } from 'node:module';
import type { Device } from '../src/device/device';
import { Graph } from '../src/graph/graph';
import '../src/graph/graph-ops';
import { Program } from '../src/graph/program';
import { filled, relativeDifference } from './host-data';

export type Tf = typeof import('@tensorflow/tfjs');
type WebGpuPackage = typeof import('@tensorflow/tfjs-backend-webgpu');

export interface TfjsOnKiln {
  tf: Tf;
  version: string;
  /** Largest relative difference between a small matmul computed by TensorFlow.js and by Kiln. */
  matmulCheck: number;
}

/** A `navigator` with a `gpu` that refuses to open adapters: TensorFlow.js must use the device it is given. */
function installNavigator(): void {
  const gpu = {
    requestAdapter: () => Promise.reject(new Error('bench: TensorFlow.js must run on the GPUDevice Kiln opened, not open an adapter of its own')),
    getPreferredCanvasFormat: () => 'rgba8unorm',
    wgslLanguageFeatures: new Set<string>(),
  };
  const existing = (globalThis as { navigator?: object }).navigator;
  if (existing) {
    if (!('gpu' in existing)) Object.defineProperty(existing, 'gpu', { value: gpu, configurable: true });
  } else {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu, userAgent: 'node' }, configurable: true, writable: true });
  }
}

/** The two packages, as loaded. */
export interface TfjsModules {
  tf: Tf;
  webgpu: WebGpuPackage;
}

/** From node_modules: the CommonJS builds, loaded with require so every export is there. */
function requireTfjs(): TfjsModules {
  const requireCjs = createRequire(import.meta.url);
  return { tf: requireCjs('@tensorflow/tfjs') as Tf, webgpu: requireCjs('@tensorflow/tfjs-backend-webgpu') as WebGpuPackage };
}

/**
 * Loads TensorFlow.js on Kiln's device and checks it. `load` gives the packages (the GPU check's
 * bundle carries them inside it); it runs once the navigator stand-in is installed.
 */
export async function openTfjs(device: Device, load: () => Promise<TfjsModules> | TfjsModules = requireTfjs): Promise<TfjsOnKiln> {
  installNavigator();
  const { tf, webgpu } = await load();
  const { WebGPUBackend } = webgpu;
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  const { vendor, architecture, device: name, description } = device.adapter;
  const adapterInfo = { vendor, architecture, device: name, description } as GPUAdapterInfo;
  tf.registerBackend('webgpu', () => new WebGPUBackend(device.gpu, adapterInfo));
  if (!(await tf.setBackend('webgpu')) || tf.getBackend() !== 'webgpu') {
    throw new Error(`bench: TensorFlow.js did not switch to its WebGPU backend (backend: ${tf.getBackend()})`);
  }
  const backend = tf.backend() as unknown as { device?: GPUDevice };
  if (backend.device !== device.gpu) throw new Error("bench: the TensorFlow.js WebGPU backend is not on Kiln's GPUDevice");
  return { tf, version: tf.version.tfjs, matmulCheck: await compareSmallMatmul(tf, device) };
}

/** A [37,53] x [53,29] product in both libraries: proof that TensorFlow.js computes on this device, and right. */
async function compareSmallMatmul(tf: Tf, device: Device): Promise<number> {
  const [m, k, n] = [37, 53, 29];
  const a = filled(m * k, 1);
  const b = filled(k * n, 2);
  const g = new Graph();
  const c = g.matmul(g.param('a', [m, k], a), g.param('b', [k, n], b));
  const program = await Program.compile(device, g, { outputs: [c], label: 'bench-check' });
  program.run();
  const kiln = await program.read(c);
  const operands = [tf.tensor2d(a, [m, k]), tf.tensor2d(b, [k, n])] as const;
  const product = tf.matMul(...operands);
  const tfjs = await product.data();
  tf.dispose([...operands, product]);
  const difference = relativeDifference(tfjs, kiln);
  if (!(difference < 1e-4)) throw new Error(`bench: TensorFlow.js and Kiln disagree on a small matmul (relative difference ${difference})`);
  return difference;
}
