// Browser entry point of the device manager: navigator.gpu, as Chrome provides it.
import { AdapterError } from './errors';
import { Device } from './device';
import { requiredLimits, summarizeAdapter } from './adapter-info';
import { optionalFeatures } from './features';
import { browserTuningStore } from './tuning-store-browser';

export interface BrowserDeviceOptions {
  powerPreference?: GPUPowerPreference;
  /** Compile-time kernel tuning (src/graph/tuning.ts), on by default. */
  tuning?: boolean;
}

export async function openDevice(options: BrowserDeviceOptions = {}): Promise<Device> {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) {
    throw new AdapterError('WebGPU is not available in this browser (navigator.gpu is missing): use a recent Chrome, or enable WebGPU.');
  }
  const adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
  if (!adapter) throw new AdapterError('navigator.gpu.requestAdapter() found no adapter: WebGPU may be disabled or blocked on this machine.');
  // Chrome quantizes timestamps (to 100 µs) unless WebGPU developer features are enabled.
  const device = await adapter.requestDevice({ label: 'kiln-browser', requiredLimits: requiredLimits(adapter), requiredFeatures: optionalFeatures(adapter) });
  const kiln = new Device(device, summarizeAdapter(adapter, device, 'browser', false));
  // Kernel tuning choices last across page loads, in localStorage 'kiln.tuning'.
  kiln.tuning = { ...kiln.tuning, enabled: options.tuning ?? true, store: browserTuningStore() };
  return kiln;
}
