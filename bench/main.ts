// `npm run bench` (build, then `node dist/bench.js [options]`): Kiln side by side with TensorFlow.js's WebGPU
// backend (@tensorflow/tfjs-backend-webgpu, a devDependency used only here) in one process, on the one
// GPUDevice Kiln opened, and PyTorch on the CPU as a third column where Debian's python3-torch is installed.
// Each workload runs after a warm-up; each figure is the median of several timed repetitions, each ending
// with a read of a result as the fence. Workloads (names for --only):
//   matmul   f32 matmul at 1024x1024x1024 and at the seed net's fc1 shape (64x9216 . 9216x128), GFLOP/s
//   conv     the seed net's conv2 (64x32x26x26, 64 filters 3x3): forward, input gradient, weight gradient, GFLOP/s
//   train    the seed's MNIST CNN training, SGD momentum, batch 64: images/s and ms per step
//   infer    the same net's test loop at batch 1000: images/s
//   linreg   linear regression (b) of the core issue: steps/s
//   softmax  softmax regression on Fashion-MNIST, batch 256 (Kiln only)
//   f16      the MNIST CNN training step under precision 'f16-mixed' (Kiln only), beside the train row's f32
//   eager    the linreg (b) loop and the MNIST CNN step written with lazy tensors (PyTorch style), beside
//            the compiled trainer's figures (the linreg and train rows) and TensorFlow.js's eager ops
//   charlm   nanoGPT's shakespeare_char recipe (4x128 GPT, block 64, batch 12): training tokens/s and the
//            validation loss reached (PyTorch's nanoGPT too; 20 iterations on a software adapter, 200 on a GPU,
//            --charlm-iters N for more: 2000 is the whole recipe, whose loss nanoGPT reports as 1.88)
//   ceiling  the adapter's best matmul rate: matmul at 256, 512 and 1024 square in both libraries, and the
//            best rate of every matmul measured; prints what share of it a training step reaches
// Prints the table (Kiln | TF.js | Kiln/TF.js | PyTorch CPU) with notes per row (dispatches and submits per
// step, checks of TF.js's results against Kiln's), the targets, and writes bench/results/<adapter>.json.
// Options:
//   --adapter NAME   gpu | swiftshader | llvmpipe | auto (default: $KILN_ADAPTER, else auto)
//   --only a,b       run only these workloads (default: all)
//   --reps N         timed repetitions per workload (default 5; the CNN workloads use at most 3 on a software
//                    adapter, and TensorFlow.js's CNN training at most 2 of one step: a step takes 20-60 s there)
//   --quick          --reps 3
//   --no-tfjs        Kiln only (no TensorFlow.js column); --no-torch: no PyTorch column
//   --charlm-iters N timed iterations of the charlm workload
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openDevice } from '../src/device/node';
import { parseImagesAndLabels } from '../src/train/data/idx';
import { CONV_CASES, MATMUL_CASES, type MatmulCase } from './kernel-cases';
import { relativeDifference } from './host-data';
import { kilnConv, kilnMatmul, type KernelRun } from './kiln-kernels';
import { eagerLinreg, eagerMnist } from './kiln-eager';
import { kilnCharlm } from './kiln-charlm';
import { kilnLinreg, kilnMnistInference, kilnMnistTraining, kilnSoftmax, MNIST_TRAIN_FLOPS, shippedMnist } from './kiln-workloads';
import { parseBenchOptions, type Workload } from './options';
import { bestRate, formatTargets, targetsOf, writeReport, type MatmulRate } from './report';
import { cellText, fmtValue, formatTable, makeRow, type KilnMeasured, type Measured, type Row } from './rows';
import { runTorchReference, type TorchWorkload } from './torch-column';
import { openTfjs, type Tf, type TfjsOnKiln } from './tfjs-device';
import { tfjsConv, tfjsMatmul, type TfjsKernelRun } from './tfjs-kernels';
import { tfjsLinregSteps } from './tfjs-linreg';
import { tfjsMnistInference, tfjsMnistTraining, type MnistImages } from './tfjs-mnist';

const message = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
const options = (() => {
  try {
    return parseBenchOptions(process.argv.slice(2));
  } catch (error) {
    console.error(message(error));
    process.exit(2);
  }
})();
const selected = (w: Workload) => options.only.has(w);

const device = await openDevice(options.adapter ? { adapter: options.adapter } : {});
const adapter = device.adapter;
const software = adapter.isSoftware;
const reps = options.reps;
const cnnReps = software ? Math.min(reps, 3) : reps;
const charlmIters = options.charlmIters ?? (software ? 20 : 200);
console.log(`adapter: ${adapter.description || adapter.device} (${adapter.backend}); ${reps} repetitions`);

let tfjs: TfjsOnKiln | null = null;
let tfjsMissing = options.tfjs ? 'not run' : 'not run (--no-tfjs)';
if (options.tfjs && (['matmul', 'conv', 'train', 'infer', 'linreg', 'ceiling'] as const).some(selected)) {
  try {
    tfjs = await openTfjs(device);
    console.log(
      `TensorFlow.js ${tfjs.version} on backend '${tfjs.tf.getBackend()}' (Kiln's GPUDevice); small matmul agrees with Kiln to ${tfjs.matmulCheck.toExponential(1)}`,
    );
  } catch (error) {
    tfjsMissing = `n/a (${message(error)})`;
    console.log(`TensorFlow.js: ${tfjsMissing}`);
  }
}

/** TensorFlow.js's cell of a row: its measurement, or why there is none (a failure does not stop the benchmark). */
async function tfjsCell(work: (tf: Tf) => Promise<Measured>): Promise<Measured | string> {
  if (!tfjs) return tfjsMissing;
  try {
    return await work(tfjs.tf);
  } catch (error) {
    device.check(); // a WebGPU error on the shared device would spoil Kiln's next figures: stop there
    return `failed: ${message(error)}`;
  }
}

const rows: Row[] = [];
const done = (row: Row) => {
  rows.push(row);
  console.log(`  ${row.workload}: Kiln ${cellText(row.kiln)}, TF.js ${cellText(row.tfjs)} ${row.unit}`);
};

const kernelKiln = (run: KernelRun): KilnMeasured => ({
  value: run.gflops,
  dispatchesPerStep: run.dispatchesPerRun,
  submitsPerStep: run.submitsPerRun,
  note: `${run.ms.toFixed(1)} ms per run; median of ${run.reps} repetitions of ${run.runs} run(s) in one submit`,
});
const kernelTfjs = (run: TfjsKernelRun, kiln: KernelRun): Measured => {
  const difference = relativeDifference(run.output, kiln.output);
  const verdict = difference < 1e-3 ? 'agrees with Kiln' : 'DISAGREES with Kiln';
  return {
    value: run.gflops,
    note: `${run.ms.toFixed(1)} ms per run; median of ${run.reps} repetitions of ${run.runs} run(s); result ${verdict} (max relative difference ${difference.toExponential(1)})`,
  };
};

/** Every matmul rate measured, for the adapter's best. */
const matmulRates: MatmulRate[] = [];

async function matmulRow(c: MatmulCase): Promise<Row> {
  const kiln = await kilnMatmul(device, c, reps);
  matmulRates.push({ library: 'Kiln', shape: c.label, gflops: kiln.gflops });
  const tf = await tfjsCell(async (tf) => {
    const run = await tfjsMatmul(tf, c, reps);
    matmulRates.push({ library: 'TF.js', shape: c.label, gflops: run.gflops });
    return kernelTfjs(run, kiln);
  });
  return makeRow(c.id, c.label, 'GFLOP/s', kernelKiln(kiln), tf);
}

if (selected('matmul')) for (const c of MATMUL_CASES) done(await matmulRow(c));

if (selected('conv')) {
  for (const c of CONV_CASES) {
    const kiln = await kilnConv(device, c.kind, reps);
    const tf = await tfjsCell(async (t) => kernelTfjs(await tfjsConv(t, c.kind, reps), kiln));
    done(makeRow(c.id, c.label, 'GFLOP/s', kernelKiln(kiln), tf));
  }
}

let trainingGflops: number | null = null;
if (selected('train') || selected('infer')) {
  const files = await shippedMnist();
  const images = async (which: 'train' | 'test'): Promise<MnistImages> =>
    which === 'train' ? parseImagesAndLabels(files.trainImages, files.trainLabels) : parseImagesAndLabels(files.testImages, files.testLabels);
  if (selected('train')) {
    const steps = software ? 4 : 50;
    const kiln = await kilnMnistTraining(device, cnnReps, steps);
    trainingGflops = (kiln.value * MNIST_TRAIN_FLOPS) / 1e9;
    const data = await images('train');
    const tf = await tfjsCell(async (t) => {
      const run = await tfjsMnistTraining(t, data, software ? Math.min(reps, 2) : reps, software ? 1 : 5);
      return {
        value: run.imagesPerSecond,
        display: `${run.imagesPerSecond.toFixed(1)} (${run.msPerStep.toFixed(0)} ms/step)`,
        note: `tf.layers net, optimizer.minimize with tf.train.momentum; 1 warm-up step, median of ${run.reps} repetitions of ${run.stepsPerRep} step(s); loss ${run.loss.toFixed(3)}; cold start (model built to the end of the first step) ${run.coldStartSeconds.toFixed(1)} s`,
      };
    });
    done(makeRow('mnist-train', 'MNIST CNN training, batch 64', 'images/s', kiln, tf));
  }
  if (selected('infer')) {
    const kiln = await kilnMnistInference(device, cnnReps);
    const data = await images('test');
    const tf = await tfjsCell(async (t) => {
      const run = await tfjsMnistInference(t, data, 1000, software ? Math.min(reps, 2) : reps, device.limits['maxStorageBufferBindingSize'] ?? 2 ** 27);
      return {
        value: run.imagesPerSecond,
        note: `median of ${run.reps}; model.predict in chunks of ${run.chunk}${run.chunk < 1000 ? ' (conv2 output must fit one storage binding)' : ''}, loss and accuracy summed on the GPU, one read (untrained net, accuracy ${(100 * run.accuracy).toFixed(1)}%)`,
      };
    });
    done(makeRow('mnist-infer', 'MNIST CNN inference, batch 1000', 'images/s', kiln, tf));
  }
}

if (selected('linreg')) {
  const kiln = await kilnLinreg(device, reps);
  const tf = await tfjsCell(async (t) => {
    const run = await tfjsLinregSteps(t, reps);
    return {
      value: run.stepsPerSecond,
      note: `optimizer.minimize per step, tf.gather of the step's rows on the GPU, one read per epoch of 100 steps; w = [${run.weights.map((v) => v.toFixed(2)).join(', ')}]`,
    };
  });
  done(makeRow('linreg', 'linreg (b) training, batch 10', 'steps/s', kiln, tf));
}

if (selected('eager')) {
  // Beside the compiled trainer's figures when those rows ran; TF.js's column is its eager ops (the same as its rows above).
  const staticOf = (id: string) => rows.find((r) => r.id === id)?.kiln?.value;
  const eagerNote = (kiln: KilnMeasured, id: string): KilnMeasured => {
    const compiled = staticOf(id);
    return compiled === undefined
      ? kiln
      : { ...kiln, note: `${kiln.note}; ${((100 * kiln.value) / compiled).toFixed(0)}% of the compiled trainer's ${fmtValue(compiled)}` };
  };
  const linreg = eagerNote(await eagerLinreg(device, reps), 'linreg');
  const tfLinreg =
    rows.find((r) => r.id === 'linreg')?.tfjs ??
    (await tfjsCell(async (t) => ({ value: (await tfjsLinregSteps(t, reps)).stepsPerSecond, note: 'optimizer.minimize per step' })));
  done(makeRow('eager-linreg', 'linreg (b), lazy tensors, batch 10', 'steps/s', linreg, tfLinreg));
  const mnist = eagerNote(await eagerMnist(device, cnnReps, software ? 3 : 50), 'mnist-train');
  done(
    makeRow('eager-mnist', 'MNIST CNN training, lazy tensors, batch 64', 'images/s', mnist, rows.find((r) => r.id === 'mnist-train')?.tfjs ?? 'run with train'),
  );
}

if (selected('charlm')) {
  const text = await readFile(join(process.cwd(), 'data', 'tinyshakespeare', 'input.txt'), 'utf8');
  const run = await kilnCharlm(device, text, charlmIters);
  done(makeRow('charlm-train', "charlm: nanoGPT's shakespeare_char recipe, training", 'tokens/s', run.tokens, '-'));
}

if (selected('f16')) {
  const kiln = await kilnMnistTraining(device, cnnReps, software ? 4 : 50, 'f16-mixed');
  const f32 = rows.find((r) => r.id === 'mnist-train')?.kiln?.value;
  const note = f32 === undefined ? kiln.note : `${kiln.note}; ${((100 * kiln.value) / f32).toFixed(0)}% of the f32 row's ${fmtValue(f32)}`;
  done(makeRow('mnist-train-f16', 'MNIST CNN training, batch 64, f16-mixed', 'images/s', { ...kiln, note }, '-', '-'));
}

if (selected('softmax')) done(makeRow('softmax', 'softmax regression training, batch 256', 'images/s', await kilnSoftmax(device, reps), '-', '-'));

let best: MatmulRate | null = null;
if (selected('ceiling')) {
  const measured = new Set(rows.map((r) => r.id));
  for (const n of [256, 512, 1024]) {
    const c: MatmulCase = { id: `matmul-${n}`, label: `matmul ${n}x${n}x${n}`, m: n, k: n, n };
    if (!measured.has(c.id)) await matmulRow(c); // rates only: the square sizes are not rows of their own
  }
  const ratesOf = (library: MatmulRate['library']) =>
    matmulRates
      .filter((r) => r.library === library)
      .map((r) => `${r.shape.replace('matmul ', '')} ${fmtValue(r.gflops)}`)
      .join(', ');
  const kilnBest = bestRate(matmulRates, 'Kiln')!;
  const tfBest = bestRate(matmulRates, 'TF.js');
  best = bestRate(matmulRates);
  done(
    makeRow(
      'best-matmul',
      "adapter's best matmul rate",
      'GFLOP/s',
      { value: kilnBest.gflops, note: `best of every Kiln matmul measured: ${ratesOf('Kiln')}` },
      tfBest ? { value: tfBest.gflops, note: `best of every TF.js matmul measured: ${ratesOf('TF.js')}` } : tfjsMissing,
    ),
  );
}

// PyTorch last, alone on the CPU.
const torchIds: Record<string, TorchWorkload> = { 'mnist-train': 'mnist-train', 'mnist-infer': 'mnist-infer', linreg: 'linreg', 'charlm-train': 'charlm' };
const torchWanted = rows.map((r) => torchIds[r.id]).filter((id): id is TorchWorkload => id !== undefined);
const torch = runTorchReference(options.torch ? torchWanted : [], reps, charlmIters);
for (const row of rows) {
  const id = torchIds[row.id];
  if (id) row.torch = torch.cells[id] ?? torch.missing ?? 'not run';
  else if (row.torch === 'not run') row.torch = '-';
}

console.log('');
console.log(formatTable(rows));
console.log('');

const trainingShare = trainingGflops !== null && best ? trainingGflops / best.gflops : null;
if (trainingShare !== null && best) {
  console.log(
    `training step = ${(100 * trainingShare).toFixed(0)}% of the adapter's best matmul rate (${trainingGflops!.toFixed(2)} of ${best.gflops.toFixed(2)} GFLOP/s, ${best.library} ${best.shape}; ${(MNIST_TRAIN_FLOPS / 1e6).toFixed(1)} MFLOP per training image)`,
  );
}
const targets = targetsOf(rows, trainingShare);
console.log(formatTargets(targets));
const file = writeReport({
  adapter,
  options: { reps, only: [...options.only] },
  tfjs: tfjs ? { version: tfjs.version, backend: "webgpu on Kiln's GPUDevice", smallMatmulCheck: tfjs.matmulCheck } : { missing: tfjsMissing },
  torch: torch.version ? { version: torch.version, threads: torch.threads } : { missing: torch.missing ?? 'not run' },
  rows,
  matmulRates,
  bestMatmul: best,
  trainingGflops,
  trainingShareOfBestMatmul: trainingShare,
  targets,
});
console.log(`wrote ${file}`);
device.destroy();
process.exit(0);
