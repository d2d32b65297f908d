// The device lazy tensors run on when none is named: the first device opened (and not destroyed)
// unless useDevice() picks another, as PyTorch's tensors go to the current CUDA device.
import type { Device } from './device';

let current: Device | null = null;

/** Makes `device` the one lazy tensors (kiln.tensor, ...) run on from now on. */
export function useDevice(device: Device): void {
  current = device;
}

/** @internal Called by every new Device: the first becomes the default. */
export function offerDefaultDevice(device: Device): void {
  current ??= device;
}

/** @internal Called when a device is destroyed. */
export function forgetDefaultDevice(device: Device): void {
  if (current === device) current = null;
}

/** The device lazy tensors run on, or a clear error when none was opened. */
export function defaultDevice(): Device {
  if (!current) throw new Error('no device for tensors: open one first (const device = await openDevice()), or pick one with useDevice(device)');
  return current;
}
