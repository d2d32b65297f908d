// Kiln's side of the training and inference workloads, run as the trainer runs them (whole epochs of
// steps in one submit, one readback per epoch), with the GPU calls they make counted.
import { join } from 'node:path';
import type { Device } from '../src/device/device';
import '../src/graph/graph-ops';
import { manualSeed } from '../src/random/philox';
import { setupLinreg } from '../src/train/recipes/linreg';
import { imageDataset, setupSoftmax } from '../src/train/recipes/softmax';
import { readIdxFolder } from '../src/cli/files';
import { mnistDataset, MNIST_NETS, mnistTrainFlops, setupMnist } from '../src/train/recipes/mnist';
import type { Precision } from '../src/train/precision';
import type { KilnMeasured } from './rows';
import { timed } from './timing';

export const MNIST_TRAIN_FLOPS = mnistTrainFlops(MNIST_NETS.full);
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

export async function kilnLinreg(device: Device, reps: number): Promise<KilnMeasured> {
  manualSeed(0);
  const setup = setupLinreg(device, 'b');
  const program = await setup.trainer.program('train', setup.dataset, 10);
  // Warm-up, then time whole epochs (100 steps in one submit) as the trainer runs them.
  await setup.trainer.fit(setup.dataset, { epochs: 1 });
  const { ms, counted } = await timed(device, reps, () => setup.trainer.fit(setup.dataset, { epochs: 1, reportEvery: 100 }));
  const steps = 100;
  return {
    value: steps / (ms / 1000),
    dispatchesPerStep: program.stats.dispatchesPerStep,
    submitsPerStep: counted.submits / (steps * reps),
    note: `${steps} steps per epoch in one submit, one readback per epoch; median of ${reps} epochs`,
  };
}

export async function kilnSoftmax(device: Device, reps: number): Promise<KilnMeasured> {
  const files = await readIdxFolder('/usr/share/datasets/fashion-mnist');
  const train = (await imageDataset('fashion-train', files.trainImages, files.trainLabels)).take(256 * 20);
  manualSeed(0);
  const { trainer } = setupSoftmax(device);
  const program = await trainer.program('train', train, 256);
  await trainer.fit(train, { epochs: 1 });
  const { ms, counted } = await timed(device, reps, () => trainer.fit(train, { epochs: 1, reportEvery: 20 }));
  return {
    value: train.count / (ms / 1000),
    dispatchesPerStep: program.stats.dispatchesPerStep,
    submitsPerStep: counted.submits / (20 * reps),
    note: `Fashion-MNIST, 784 -> 10, 20 steps per epoch; peak ${mib(program.stats.peakBytes)}`,
  };
}

export async function shippedMnist(): Promise<Awaited<ReturnType<typeof readIdxFolder>>> {
  return readIdxFolder(join(process.cwd(), 'data', 'mnist'));
}

/** The seed's CNN at batch 64 on the shipped MNIST: `steps` steps per timed epoch, after a warm-up epoch. */
export async function kilnMnistTraining(
  device: Device,
  reps: number,
  steps: number,
  precision: Precision = 'f32',
): Promise<KilnMeasured & { msPerStep: number }> {
  const files = await shippedMnist();
  const train = (await mnistDataset('mnist-train', files.trainImages, files.trainLabels)).take(64 * steps);
  manualSeed(0);
  const { trainer } = setupMnist(device, { precision });
  const compileStart = performance.now();
  const program = await trainer.program('train', train, 64);
  const compileSeconds = (performance.now() - compileStart) / 1000;
  // Cold start: from compile to the first step's end (its progress report reads the loss back).
  let coldStartSeconds = NaN;
  await trainer.fit(train, {
    epochs: 1,
    reportEvery: 1,
    onProgress: () => (coldStartSeconds = Number.isNaN(coldStartSeconds) ? (performance.now() - compileStart) / 1000 : coldStartSeconds),
  });
  const { ms, counted } = await timed(device, reps, () => trainer.fit(train, { epochs: 1, reportEvery: steps }));
  const rate = train.count / (ms / 1000);
  const msPerStep = ms / steps;
  return {
    value: rate,
    msPerStep,
    display: `${rate.toFixed(1)} (${msPerStep.toFixed(0)} ms/step)`,
    dispatchesPerStep: program.stats.dispatchesPerStep,
    submitsPerStep: counted.submits / (steps * reps),
    note: `${((rate * MNIST_TRAIN_FLOPS) / 1e9).toFixed(2)} GFLOP/s at ${(MNIST_TRAIN_FLOPS / 1e6).toFixed(1)} MFLOP/image; median of ${reps} epochs of ${steps} steps; peak ${mib(program.stats.peakBytes)} (reported at compile); compile ${compileSeconds.toFixed(1)} s (${program.stats.kernelsTuned} kernels tuned in ${(program.stats.tuneMs / 1000).toFixed(1)} s), cold start to the end of the first step ${coldStartSeconds.toFixed(1)} s; createBuffer ${counted.createBuffer}, createBindGroup ${counted.createBindGroup} in ${steps * reps} steps`,
  };
}

/** The seed's test loop: the CNN in evaluation mode at batch 1000. */
export async function kilnMnistInference(device: Device, reps: number): Promise<KilnMeasured & { accuracy: number }> {
  const files = await shippedMnist();
  const test = (await mnistDataset('mnist-test', files.testImages, files.testLabels)).take(1000);
  manualSeed(0);
  const { trainer } = setupMnist(device);
  // 1000 images, in smaller batches where the activations exceed the adapter's binding limit.
  const batch = trainer.evaluationBatch(test, 1000);
  const program = await trainer.program('eval', test, batch);
  const first = await trainer.evaluate(test, { batchSize: 1000 });
  const { ms, counted } = await timed(device, reps, () => trainer.evaluate(test, { batchSize: 1000 }));
  return {
    value: test.count / (ms / 1000),
    accuracy: first.accuracy ?? NaN,
    dispatchesPerStep: program.stats.dispatchesPerStep,
    submitsPerStep: counted.submits / ((reps * test.count) / batch),
    note: `${batch < 1000 ? `batches of ${batch} (binding limit); ` : ''}loss and accuracy summed on the GPU, one readback; median of ${reps}; peak ${mib(program.stats.peakBytes)}`,
  };
}
