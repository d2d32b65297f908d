// `kiln profile mnist`: where the time of one MNIST training step goes. Compiles the training step,
// runs warm-up steps, then profiles N steps in one submit (src/graph/profile.ts): per kernel, the
// mean GPU time per step, its share of the step, and the GFLOP/s and GB/s it achieved. With
// --isolated each kernel is instead timed alone, N times in a submit of its own, on any adapter.
import type { Device } from '../../device/device';
import { profileProgram, type KernelTiming, type ProgramProfile } from '../../graph/profile';
import { manualSeed } from '../../random/philox';
import { mnistTrainFlops, setupMnist } from '../../train/recipes/mnist';
import type { ParsedOptions } from '../args';
import { loadMnist, netWidths } from './mnist-data';

export async function profileMnistCommand(device: Device, options: ParsedOptions): Promise<void> {
  const batchSize = Number(options['batch-size']);
  const steps = Number(options['steps']);
  const warmup = Number(options['warmup']);
  const seed = Number(options['seed'] ?? 0);
  const widths = netWidths(options);
  const { label, train } = await loadMnist(options, ['train']);
  manualSeed(seed);
  const { trainer } = setupMnist(device, { batchSize, seed, net: widths });
  const batch = Math.min(batchSize, train.count);
  const backend = device.adapter.backend + (device.adapter.description ? ` (${device.adapter.description})` : '');
  console.log(`${label} CNN (conv ${widths.conv1}, conv ${widths.conv2}, fc ${widths.hidden}) training step at batch ${batch} on ${backend}`);

  const compileStarted = performance.now();
  const program = await trainer.program('train', train, batch);
  console.log(`compiled in ${((performance.now() - compileStarted) / 1000).toFixed(1)} s: ${program.stats.dispatchesPerStep} dispatches per step`);
  if (warmup > 0) {
    // Timed as a normal run (one compute pass), to compare with the profiled run's wall clock.
    const started = performance.now();
    program.run({}, { steps: warmup });
    await device.sync();
    console.log(`warm-up: ${warmup} step(s) as a normal run, ${((performance.now() - started) / warmup).toFixed(3)} ms per step wall clock`);
  }
  train.startEpoch(null); // the profiled steps read the first batches again
  const isolated = options['isolated'] === true;
  const profile = await profileProgram(program, { steps, isolated });
  console.log(
    isolated
      ? `profiled: each dispatch alone, ${steps} time(s) in a submit of its own, timed on the CPU`
      : `profiled: ${steps} step(s) in one submit, each dispatch in a timed pass of its own`,
  );
  console.log(report(profile, batch, mnistTrainFlops(widths) * batch));
}

/** The table (slowest kernel first) and the step's totals, or the whole-step time alone. */
export function report(profile: ProgramProfile, batch: number, modelFlops: number): string {
  const lines: string[] = [];
  let stepMs: number;
  if (profile.timed && profile.method === 'timestamps') {
    lines.push(...kernelTable(profile.kernels));
    stepMs = profile.wallStepMs;
    lines.push(
      `step: ${profile.gpuStepMs.toFixed(3)} ms in kernels, ${profile.spanStepMs.toFixed(3)} ms from the first kernel's start to the last one's end, ${profile.wallStepMs.toFixed(3)} ms wall clock (GPU timestamps)`,
    );
  } else if (profile.timed) {
    lines.push(...kernelTable(profile.kernels));
    stepMs = profile.gpuStepMs;
    lines.push(
      `step: ${profile.gpuStepMs.toFixed(3)} ms in kernels, each timed alone on the CPU (${profile.submitMs.toFixed(3)} ms of an empty submit taken off each)`,
    );
  } else {
    lines.push(`no per-kernel times: ${profile.reason}.`);
    stepMs = profile.wallStepMs;
    lines.push(`step: ${stepMs.toFixed(3)} ms wall clock (measured on the CPU, ${profile.kernels.length} dispatches per step)`);
  }
  const perSecond = 1000 / stepMs;
  lines.push(
    `throughput: ${(batch * perSecond).toFixed(1)} images/s, ${((modelFlops * perSecond) / 1e9).toFixed(2)} GFLOP/s ` +
      `(${(modelFlops / 1e6).toFixed(1)} MFLOP per step by mnistTrainFlops; the kernels' own count: ${(profile.stepFlops / 1e6).toFixed(1)} MFLOP)`,
  );
  return lines.join('\n');
}

function kernelTable(kernels: readonly KernelTiming[]): string[] {
  const rows = [...kernels].sort((a, b) => b.micros - a.micros);
  const header = `${'#'.padStart(3)}  ${'kernel'.padEnd(22)} ${'node'.padEnd(24)} ${'shape'.padEnd(20)} ${'µs/step'.padStart(10)} ${'share'.padStart(7)} ${'GFLOP/s'.padStart(9)} ${'GB/s'.padStart(8)}`;
  const lines = [header, '-'.repeat(header.length)];
  for (const k of rows) {
    lines.push(
      `${String(k.index).padStart(3)}  ${clip(k.label, 22)} ${clip(`${k.node.name}#${k.node.id}`, 24)} ${clip(k.shape, 20)} ${k.micros.toFixed(1).padStart(10)} ${(100 * k.share).toFixed(1).padStart(6)}% ${k.gflops.toFixed(2).padStart(9)} ${k.gbps.toFixed(2).padStart(8)}`,
    );
  }
  const total = kernels.reduce((sum, k) => sum + k.micros, 0);
  lines.push(
    '-'.repeat(header.length),
    `${''.padStart(3)}  ${'total'.padEnd(22)} ${''.padEnd(24)} ${''.padEnd(20)} ${total.toFixed(1).padStart(10)} ${'100.0'.padStart(6)}%`,
  );
  return lines;
}

function clip(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
}
