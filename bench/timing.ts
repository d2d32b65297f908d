// Timing helpers shared by the Kiln and TensorFlow.js sides of the benchmark: every figure is the median
// of `reps` timed repetitions taken after the caller's warm-up, each ending with a read of a result (the
// fence), so that queued GPU work is inside the measured time.
import type { Device } from '../src/device/device';
import { countGpuCalls, type CallCounts } from './count-calls';

/** The middle value (the mean of the two middle ones for an even count). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError('median of no values');
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Runs `work` `reps` times: the median milliseconds of one run. */
export async function medianMs(reps: number, work: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    await work();
    times.push(performance.now() - t0);
  }
  return median(times);
}

/** Like medianMs, also counting the GPU calls (submits, buffers, bind groups, maps) of all runs on Kiln's device. */
export async function timed(device: Device, reps: number, work: () => Promise<unknown>): Promise<{ ms: number; counted: CallCounts }> {
  const calls = countGpuCalls(device);
  try {
    const ms = await medianMs(reps, work);
    return { ms, counted: calls.stop() };
  } catch (error) {
    calls.stop();
    throw error;
  }
}

/** A repetition of a kernel workload lasts about this long, so that one submit and one readback are a small part of it. */
export const REPETITION_MS = 250;
/** Repetitions stop short of the requested count once they would take longer than this in all (one run of TF.js's conv weight gradient takes half a minute on a software adapter). */
export const BUDGET_MS = 60_000;

export interface RunsMeasured<T> {
  /** Median milliseconds of one run. */
  msPerRun: number;
  /** Runs per timed repetition, and repetitions timed. */
  runs: number;
  reps: number;
  /** What the last run returned (its result, for comparisons). */
  last: T;
}

/**
 * Times `run(runs)` (runs back to back, then a fence): one warm-up run, one calibration run when the
 * warm-up was short (the warm-up also compiles pipelines), then up to `reps` repetitions of enough runs to
 * last about REPETITION_MS each. `time` times the repetitions (medianMs, or a counting wrapper).
 */
export async function measureRuns<T>(
  reps: number,
  run: (runs: number) => Promise<T>,
  time: (reps: number, work: () => Promise<unknown>) => Promise<number> = medianMs,
): Promise<RunsMeasured<T>> {
  let t0 = performance.now();
  let last = await run(1);
  let oneMs = performance.now() - t0;
  if (oneMs < 2 * REPETITION_MS) {
    t0 = performance.now();
    last = await run(1);
    oneMs = performance.now() - t0;
  }
  const runs = Math.max(1, Math.min(64, Math.round(REPETITION_MS / Math.max(oneMs, 1e-3))));
  const used = Math.max(1, Math.min(reps, Math.floor(BUDGET_MS / (oneMs * runs))));
  const ms = await time(used, async () => {
    last = await run(runs);
  });
  return { msPerRun: ms / runs, runs, reps: used, last };
}
