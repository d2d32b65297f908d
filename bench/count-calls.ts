// Counts the GPU calls a workload makes (submits, buffer and bind group creations, maps) by wrapping
// the device's methods: the proof that a steady-state step does no per-step allocation or readback.
import type { Device } from '../src/device/device';

export interface CallCounts {
  submits: number;
  createBuffer: number;
  createBindGroup: number;
  mapAsync: number;
}

/** Counting starts now; counts() reads the figures so far, stop() ends counting and returns them. */
export function countGpuCalls(device: Device): { counts: () => CallCounts; stop: () => CallCounts } {
  const counts: CallCounts = { submits: 0, createBuffer: 0, createBindGroup: 0, mapAsync: 0 };
  const gpu = device.gpu;
  const queue = gpu.queue;
  const originals = { submit: queue.submit, createBuffer: gpu.createBuffer, createBindGroup: gpu.createBindGroup };
  queue.submit = function (this: GPUQueue, ...args: Parameters<GPUQueue['submit']>) {
    counts.submits++;
    return originals.submit.apply(this, args);
  };
  gpu.createBuffer = function (this: GPUDevice, ...args: Parameters<GPUDevice['createBuffer']>) {
    counts.createBuffer++;
    const buffer = originals.createBuffer.apply(this, args);
    const map = buffer.mapAsync;
    buffer.mapAsync = function (this: GPUBuffer, ...m: Parameters<GPUBuffer['mapAsync']>) {
      counts.mapAsync++;
      return map.apply(this, m);
    };
    return buffer;
  };
  gpu.createBindGroup = function (this: GPUDevice, ...args: Parameters<GPUDevice['createBindGroup']>) {
    counts.createBindGroup++;
    return originals.createBindGroup.apply(this, args);
  };
  return {
    counts: () => ({ ...counts }),
    stop: () => {
      queue.submit = originals.submit;
      gpu.createBuffer = originals.createBuffer;
      gpu.createBindGroup = originals.createBindGroup;
      return counts;
    },
  };
}
