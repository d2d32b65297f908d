// Every tensor a kernel reads or writes is bound whole, so none may exceed the adapter's
// maxStorageBufferBindingSize (128 MiB on llvmpipe and on many browsers' defaults). Checked when a
// program is compiled, with a message that names the tensor, instead of a validation error from
// the driver; the trainer uses largestTensor() to pick an evaluation batch that fits.
import { bytesOf, fmt, ShapeError } from './shape';
import type { Tensor } from './tensor';

export function maxBindingBytes(limits: Record<string, number>): number {
  return limits['maxStorageBufferBindingSize'] ?? Infinity;
}

/** The tensor of `nodes` with the most bytes (views share their input's bytes, so they count too). */
export function largestTensor(nodes: readonly Tensor[]): { tensor: Tensor; bytes: number } | null {
  let best: { tensor: Tensor; bytes: number } | null = null;
  for (const t of nodes) {
    if (t.isEffect) continue;
    const bytes = bytesOf(t.dtype, t.size);
    if (!best || bytes > best.bytes) best = { tensor: t, bytes };
  }
  return best;
}

export function checkBindingSizes(label: string, nodes: readonly Tensor[], limits: Record<string, number>): void {
  const limit = maxBindingBytes(limits);
  const largest = largestTensor(nodes);
  if (largest && largest.bytes > limit) {
    const { tensor, bytes } = largest;
    // Per-step tensors shrink with the batch; a variable (a dataset, a parameter) is bound whole.
    const advice = tensor.variable
      ? (tensor.variable.tooLarge ?? `variable ${tensor.name} is bound whole: make it smaller or use an adapter with a larger limit`)
      : 'use a smaller batch';
    throw new ShapeError(
      `${label}: ${tensor.name} ${fmt(tensor.shape)} needs ${bytes.toLocaleString('en-US')} bytes, more than this adapter's maxStorageBufferBindingSize (${limit.toLocaleString('en-US')}); ${advice}`,
    );
  }
}
