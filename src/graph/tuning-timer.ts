// How compile-time tuning times one kernel configuration: `reps` dispatches in one submit, timed by
// timestamp queries around each dispatch where the device has them ('timestamp-query'), else by the
// wall clock from submit to queue.onSubmittedWorkDone (llvmpipe through OpenGL ES has no timestamps);
// many dispatches per submit spread the round trip's cost thin.
import type { Device } from '../device/device';

/** A ready-to-run configuration: what Program.run would encode for it. */
export interface Trial {
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  workgroups: readonly [number, number, number];
}

const TIMESTAMP_BYTES = 8;
/** A query set holds at most 4096 queries; tuning never needs that many dispatches in one trial. */
const MAX_REPS = 2048;

/** Milliseconds per dispatch, averaged over `reps` dispatches of `trial` in one submit. */
export async function timeTrial(device: Device, trial: Trial, reps: number): Promise<number> {
  if (!Number.isInteger(reps) || reps < 1 || reps > MAX_REPS) throw new RangeError(`tuning: reps must be an integer in 1..${MAX_REPS}, got ${reps}`);
  return device.gpu.features.has('timestamp-query') ? timeWithQueries(device, trial, reps) : timeWithClock(device, trial, reps);
}

async function timeWithClock(device: Device, trial: Trial, reps: number): Promise<number> {
  return (
    (await timeSubmit(device, 'tuning', (pass) => {
      pass.setPipeline(trial.pipeline);
      pass.setBindGroup(0, trial.bindGroup);
      for (let r = 0; r < reps; r++) pass.dispatchWorkgroups(...trial.workgroups);
    })) / reps
  );
}

/**
 * Wall-clock milliseconds from submitting one compute pass that `encode` fills to the queue going
 * idle, with nothing else in flight when the clock starts (also the isolated profile's timer).
 */
export async function timeSubmit(device: Device, label: string, encode: (pass: GPUComputePassEncoder) => void): Promise<number> {
  const encoder = device.gpu.createCommandEncoder({ label });
  const pass = encoder.beginComputePass({ label });
  encode(pass);
  pass.end();
  const commands = encoder.finish();
  await device.gpu.queue.onSubmittedWorkDone();
  const started = performance.now();
  device.gpu.queue.submit([commands]);
  await device.gpu.queue.onSubmittedWorkDone();
  const elapsed = performance.now() - started;
  device.check();
  return elapsed;
}

async function timeWithQueries(device: Device, trial: Trial, reps: number): Promise<number> {
  const bytes = 2 * reps * TIMESTAMP_BYTES;
  const querySet = device.gpu.createQuerySet({ label: 'tuning', type: 'timestamp', count: 2 * reps });
  // Buffers of its own, freed before it returns (not the device's staging ring, which would keep a
  // slot): a compile's bytes allocated stay exactly what its program holds.
  const resolved = device.createBuffer('tuning/timestamps', bytes, GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC);
  const staging = device.createBuffer('tuning/timestamps (read)', bytes, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
  try {
    const encoder = device.gpu.createCommandEncoder({ label: 'tuning' });
    for (let r = 0; r < reps; r++) {
      const pass = encoder.beginComputePass({
        label: 'tuning',
        timestampWrites: { querySet, beginningOfPassWriteIndex: 2 * r, endOfPassWriteIndex: 2 * r + 1 },
      });
      pass.setPipeline(trial.pipeline);
      pass.setBindGroup(0, trial.bindGroup);
      pass.dispatchWorkgroups(...trial.workgroups);
      pass.end();
    }
    encoder.resolveQuerySet(querySet, 0, 2 * reps, resolved, 0);
    encoder.copyBufferToBuffer(resolved, 0, staging, 0, bytes);
    device.gpu.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ, 0, bytes);
    const times = new BigUint64Array(staging.getMappedRange(0, bytes).slice(0));
    staging.unmap();
    device.check();
    let nanos = 0;
    // A pass whose end reads before its begin (a clock change, which WebGPU allows) counts as zero.
    for (let r = 0; r < reps; r++) nanos += Math.max(0, Number(times[2 * r + 1]! - times[2 * r]!));
    return nanos / reps / 1e6;
  } finally {
    device.destroyBuffer(resolved);
    device.destroyBuffer(staging);
    querySet.destroy();
  }
}
