// `npm run bench`: training throughput of the core workloads and the MNIST CNN on the adapter at hand, with the number
// of dispatches and submits per step. Prints a table and writes bench/results/<adapter>.json.
// Options: --adapter NAME (or KILN_ADAPTER), --quick (fewer repetitions).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDevice } from '../src/device/node';
import type { Device } from '../src/device/device';
import '../src/graph/graph-ops';
import { manualSeed } from '../src/random/philox';
import { setupLinreg } from '../src/train/recipes/linreg';
import { imageDataset, setupSoftmax } from '../src/train/recipes/softmax';
import { readIdxFolder } from '../src/cli/files';
import { countGpuCalls, type CallCounts } from './count-calls';
import { mnistDataset, MNIST_NETS, mnistTrainFlops, setupMnist } from '../src/train/recipes/mnist';

interface Row {
  workload: string;
  value: number;
  unit: string;
  dispatchesPerStep: number;
  submitsPerStep: number;
  note: string;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** Runs `work` `reps` times (after the caller's warm-up): the median milliseconds and the GPU calls of all runs. */
async function timed(device: Device, reps: number, work: () => Promise<unknown>): Promise<{ ms: number; counted: CallCounts }> {
  const calls = countGpuCalls(device);
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    await work();
    times.push(performance.now() - t0);
  }
  return { ms: median(times), counted: calls.stop() };
}

async function linregSteps(device: Device, reps: number): Promise<Row> {
  manualSeed(0);
  const setup = setupLinreg(device, 'b');
  const program = await setup.trainer.program('train', setup.dataset, 10);
  // Warm-up, then time whole epochs (100 steps in one submit) as the trainer runs them.
  await setup.trainer.fit(setup.dataset, { epochs: 1 });
  const { ms, counted } = await timed(device, reps, () => setup.trainer.fit(setup.dataset, { epochs: 1, reportEvery: 100 }));
  const steps = 100;
  return {
    workload: 'linreg (b) training, batch 10',
    value: steps / (ms / 1000),
    unit: 'steps/s',
    dispatchesPerStep: program.stats.dispatchesPerStep,
    submitsPerStep: counted.submits / (steps * reps),
    note: `${steps} steps per epoch, one readback per epoch`,
  };
}

async function softmaxImages(device: Device, reps: number): Promise<Row> {
  const files = await readIdxFolder('/usr/share/datasets/fashion-mnist');
  const train = (await imageDataset('fashion-train', files.trainImages, files.trainLabels)).take(256 * 20);
  manualSeed(0);
  const { trainer } = setupSoftmax(device);
  const program = await trainer.program('train', train, 256);
  await trainer.fit(train, { epochs: 1 });
  const { ms, counted } = await timed(device, reps, () => trainer.fit(train, { epochs: 1, reportEvery: 20 }));
  return {
    workload: 'softmax regression training, batch 256',
    value: train.count / (ms / 1000),
    unit: 'images/s',
    dispatchesPerStep: program.stats.dispatchesPerStep,
    submitsPerStep: counted.submits / (20 * reps),
    note: `Fashion-MNIST, 784 -> 10; peak ${(program.stats.peakBytes / 2 ** 20).toFixed(1)} MiB`,
  };
}

/** The seed's CNN at batch 64 on the shipped MNIST: `steps` steps per timed epoch, after a warm-up epoch. */
async function mnistTraining(device: Device, reps: number, steps: number): Promise<Row> {
  const files = await readIdxFolder(join(process.cwd(), 'data', 'mnist'));
  const train = (await mnistDataset('mnist-train', files.trainImages, files.trainLabels)).take(64 * steps);
  manualSeed(0);
  const { trainer } = setupMnist(device);
  const compileStart = performance.now();
  const program = await trainer.program('train', train, 64);
  const compileSeconds = (performance.now() - compileStart) / 1000;
  await trainer.fit(train, { epochs: 1 });
  const { ms, counted } = await timed(device, reps, () => trainer.fit(train, { epochs: 1, reportEvery: steps }));
  const rate = train.count / (ms / 1000);
  const gflops = (rate * mnistTrainFlops(MNIST_NETS.full)) / 1e9;
  return {
    workload: 'MNIST CNN training, batch 64',
    value: rate,
    unit: 'images/s',
    dispatchesPerStep: program.stats.dispatchesPerStep,
    submitsPerStep: counted.submits / (steps * reps),
    note: `${gflops.toFixed(2)} GFLOP/s at 72 MFLOP/image; ${(ms / steps).toFixed(0)} ms/step; peak ${(program.stats.peakBytes / 2 ** 20).toFixed(1)} MiB; compile ${compileSeconds.toFixed(1)} s; createBuffer ${counted.createBuffer}, createBindGroup ${counted.createBindGroup} in ${steps * reps} steps`,
  };
}

/** The seed's test loop: the CNN in evaluation mode at batch 1000. */
async function mnistInference(device: Device, reps: number): Promise<Row> {
  const files = await readIdxFolder(join(process.cwd(), 'data', 'mnist'));
  const test = (await mnistDataset('mnist-test', files.testImages, files.testLabels)).take(1000);
  manualSeed(0);
  const { trainer } = setupMnist(device);
  // 1000 images, in smaller batches where the activations exceed the adapter's binding limit.
  const batch = trainer.evaluationBatch(test, 1000);
  const program = await trainer.program('eval', test, batch);
  await trainer.evaluate(test, { batchSize: 1000 });
  const { ms, counted } = await timed(device, reps, () => trainer.evaluate(test, { batchSize: 1000 }));
  return {
    workload: 'MNIST CNN inference, batch 1000',
    value: test.count / (ms / 1000),
    unit: 'images/s',
    dispatchesPerStep: program.stats.dispatchesPerStep,
    submitsPerStep: counted.submits / ((reps * test.count) / batch),
    note: `${batch < 1000 ? `batches of ${batch} (binding limit); ` : ''}loss and accuracy summed on the GPU, one readback; peak ${(program.stats.peakBytes / 2 ** 20).toFixed(1)} MiB`,
  };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const adapterArg = argv.indexOf('--adapter');
  const quick = argv.includes('--quick');
  const device = await openDevice(adapterArg >= 0 ? { adapter: argv[adapterArg + 1]! } : {});
  const reps = quick ? 3 : 7;
  const rows = [await linregSteps(device, reps), await softmaxImages(device, reps)];
  // The CNN costs seconds per step on a software adapter: fewer, shorter repetitions there.
  const software = device.adapter.isSoftware;
  rows.push(await mnistTraining(device, software ? 3 : reps, software ? 4 : 50));
  rows.push(await mnistInference(device, software ? 3 : reps));
  const adapter = device.adapter;
  console.log(`adapter: ${adapter.description || adapter.device} (${adapter.backend})`);
  console.log(`${'workload'.padEnd(40)} ${'value'.padStart(10)} ${'unit'.padEnd(9)} ${'disp/step'.padStart(9)} ${'submits/step'.padStart(12)}  note`);
  for (const r of rows) {
    console.log(`${r.workload.padEnd(40)} ${r.value.toFixed(1).padStart(10)} ${r.unit.padEnd(9)} ${String(r.dispatchesPerStep).padStart(9)} ${r.submitsPerStep.toFixed(3).padStart(12)}  ${r.note}`);
  }
  const dir = join(process.cwd(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${adapter.backend}.json`);
  writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), adapter, rows }, null, 2));
  console.log(`wrote ${file}`);
  device.destroy();
  process.exit(0);
}

await main();
