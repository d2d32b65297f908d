// Kiln's lazy tensors on the same workloads as the compiled trainer (src/tensor/): the seed loops as a
// PyTorch user writes them, a step recorded per iteration, compiled once and then run in one submit.
import type { Device } from '../src/device/device';
import { useDevice } from '../src/device/default-device';
import { manualSeed, RandomStream } from '../src/random/philox';
import { nllLoss, mseLoss } from '../src/tensor/functional';
import { synchronize, tensor, tensorStats } from '../src/tensor/factories';
import { linregData } from '../src/train/recipes/linreg';
import { MNIST_MEAN, MNIST_STD, mnistNet } from '../src/train/recipes/mnist';
import { Linear } from '../src/train/nn/linear';
import { normal } from '../src/train/nn/init';
import { SGD } from '../src/train/optim/sgd';
import { parseImagesAndLabels } from '../src/train/data/idx';
import { countGpuCalls } from './count-calls';
import { shippedMnist } from './kiln-workloads';
import type { KilnMeasured } from './rows';
import { median } from './timing';

/** Linear regression (b) in the eager style: minibatches of 10 gathered on the host, nn.Linear + optim.SGD. */
export async function eagerLinreg(device: Device, reps: number): Promise<KilnMeasured> {
  useDevice(device);
  manualSeed(0);
  const data = linregData('b');
  const model = new Linear(2, 1);
  model.weight.assign(normal(2, 0, 0.01));
  model.bias!.assign(new Float32Array(1));
  const optimizer = new SGD(model.parameters(), { lr: 0.03 });
  const rand = new RandomStream(0);
  const epoch = async () => {
    const order = rand.permutation(1000);
    let last = null;
    for (let s = 0; s < 100; s++) {
      const rows = order.subarray(10 * s, 10 * s + 10);
      const x = tensor(
        Float32Array.from({ length: 20 }, (_, k) => data.x[2 * rows[k >> 1]! + (k & 1)]!),
        { shape: [10, 2] },
      );
      const y = tensor(
        Float32Array.from(rows, (r) => data.y[r]!),
        { shape: [10, 1] },
      );
      optimizer.zeroGrad();
      last = mseLoss(model.call(x), y);
      last.backward();
      optimizer.step();
    }
    await last!.item();
  };
  return measureEager(device, reps, 100, epoch, (rate) => ({
    value: rate,
    note: 'a PyTorch-style loop (zeroGrad, call, mseLoss, backward, step) over host minibatches; one submit per step',
  }));
}

/** The seed's CNN step at batch 64 in the eager style: model.call, F.nllLoss, backward, SGD momentum step. */
export async function eagerMnist(device: Device, reps: number, steps: number): Promise<KilnMeasured & { msPerStep: number }> {
  useDevice(device);
  const files = await shippedMnist();
  const images = await parseImagesAndLabels(files.trainImages, files.trainLabels);
  manualSeed(0);
  const model = mnistNet();
  const optimizer = new SGD(model.parameters(), { lr: 0.025, momentum: 0.9 });
  const batch = (s: number) => {
    const first = (s * 64) % (images.count - 64);
    const x = Float32Array.from(images.images.subarray(first * 784, (first + 64) * 784), (v) => (v / 255 - MNIST_MEAN) / MNIST_STD);
    return { x: tensor(x, { shape: [64, 1, 28, 28] }), y: tensor(Int32Array.from(images.labels.subarray(first, first + 64))) };
  };
  let s = 0;
  const run = async () => {
    let last = null;
    for (let i = 0; i < steps; i++) {
      const { x, y } = batch(s++);
      optimizer.zeroGrad();
      last = nllLoss(model.call(x), y);
      last.backward();
      optimizer.step();
    }
    await last!.item();
  };
  const measured = await measureEager(device, reps, steps * 64, run, (rate) => ({
    value: rate,
    note: 'model.call, F.nllLoss, backward, optim.sgd(params, momentum 0.9).step() over host batches; one submit per step',
  }));
  const msPerStep = (64 / measured.value) * 1000;
  return { ...measured, msPerStep, display: `${measured.value.toFixed(1)} (${msPerStep.toFixed(0)} ms/step)` };
}

/** Two warm-up runs (the first step's program and the steady one), then the median of `reps` timed runs. */
async function measureEager(
  device: Device,
  reps: number,
  units: number,
  run: () => Promise<void>,
  make: (rate: number) => KilnMeasured,
): Promise<KilnMeasured> {
  await run();
  await run();
  const before = tensorStats();
  const calls = countGpuCalls(device);
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    const start = performance.now();
    await run();
    await synchronize();
    times.push(performance.now() - start);
  }
  const counted = calls.stop();
  const after = tensorStats();
  const measured = make(units / (median(times) / 1000));
  const traces = after.tracesRun - before.tracesRun;
  return {
    ...measured,
    submitsPerStep: counted.submits / traces,
    note: `${measured.note}; ${traces} traces timed, ${after.programsCompiled - before.programsCompiled} programs compiled while timed, createBuffer ${counted.createBuffer}; median of ${reps}`,
  };
}
