// The GPU check (dist/gpu-check.js, run by scripts/gpu-check/run.sh from the folder pack.sh makes):
// everything the issue's GPU measurements need, in one process on one adapter, in order of worth so
// that a deadline cuts the least useful last. Sections:
//   adapter  the adapter's summary, features and limits
//   train    the MNIST CNN training step at batch 64 (with its tuned kernel forms and a profile of one
//            step, per kernel), then at batch 256
//   epoch    one epoch of the shipped training images at batch 64, then the test set's accuracy
//   infer    inference at batch 1000
//   torch    PyTorch (CUDA where it has it) on the same net, steps and batches
//   matmul   1024³, 2048³, 4096³ and the net's own products: every kernel form forced and timed, each
//            checked against float64 sums at sampled outputs, then the tuned choice
//   tfjs     TensorFlow.js's WebGPU backend on the same device: matmul rows and the training step
//   charlm   nanoGPT's shakespeare_char recipe (issue 16's GPU goal): Kiln's training tokens/s beside
//            PyTorch eager's (bench/torch_reference.py's charlm, CUDA where it has it)
//   f16      precision 'f16-mixed': the MNIST step at batch 64, and matmul 4096³ on f16 operands, tuned
// Each section's result (or its error, or why it was skipped) goes into the JSON as soon as it ends,
// so a run stopped at any point keeps what it measured. `--short` runs the same sections on tiny
// shapes (the script's own test, on SwiftShader).
// Options: --adapter NAME (default gpu), --short, --out DIR (default .), --deadline SECONDS (default 480).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDevice } from '../src/device/node';
import { MemoryTuningStore, type TuningOptions } from '../src/device/tuning-store';
import { Graph } from '../src/graph/graph';
import { roundToF16 } from '../src/graph/half';
import '../src/graph/graph-ops';
import { profileProgram } from '../src/graph/profile';
import { Program } from '../src/graph/program';
import { unmetNeeds } from '../src/graph/tuning';
import { manualSeed } from '../src/random/philox';
import { parseImagesAndLabels } from '../src/train/data/idx';
import type { Precision } from '../src/train/precision';
import { mnistDataset, mnistTrainFlops, MNIST_NETS, setupMnist } from '../src/train/recipes/mnist';
import { filled } from './host-data';
import { matmulFlops, type MatmulCase } from './kernel-cases';
import { timeProgram } from './kiln-kernels';
import { kilnCharlm } from './kiln-charlm';
import { kilnMnistInference, shippedMnist } from './kiln-workloads';
import { openTfjs, type TfjsModules } from './tfjs-device';
import { tfjsMatmul } from './tfjs-kernels';
import { tfjsMnistTraining } from './tfjs-mnist';
import { pythonWithTorch } from './torch-column';
import { medianMs } from './timing';

interface CheckOptions {
  adapter: string;
  short: boolean;
  out: string;
  deadlineS: number;
}

function parse(argv: readonly string[]): CheckOptions {
  const options: CheckOptions = { adapter: 'gpu', short: false, out: '.', deadlineS: 480 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`gpu-check: ${arg} needs a value`);
      return v;
    };
    if (arg === '--adapter') options.adapter = value();
    else if (arg === '--short') options.short = true;
    else if (arg === '--out') options.out = value();
    else if (arg === '--deadline') {
      options.deadlineS = Number(value());
      if (!(options.deadlineS > 0)) throw new Error(`gpu-check: --deadline must be a positive number of seconds, got ${argv[i]}`);
    } else throw new Error(`gpu-check: unknown option '${arg}' (options: --adapter NAME, --short, --out DIR, --deadline SECONDS)`);
  }
  return options;
}

const options = (() => {
  try {
    return parse(process.argv.slice(2));
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(2);
  }
})();
const started = performance.now();
const elapsedS = () => (performance.now() - started) / 1000;
/** The folder holding dist/, data/ and bench/: the repository, or the packed folder. */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
mkdirSync(options.out, { recursive: true });
const jsonPath = join(options.out, 'gpu-check.json');

const report: { mode: string; started: string; sections: Record<string, unknown>; seconds?: number } = {
  mode: options.short ? 'short' : 'full',
  started: new Date().toISOString(),
  sections: {},
};
const save = () => writeFileSync(jsonPath, `${JSON.stringify({ ...report, seconds: Number(elapsedS().toFixed(1)) }, null, 2)}\n`);
const message = (error: unknown) => (error instanceof Error ? (error.stack ?? error.message) : String(error));

/** Runs one section unless the deadline has passed; its result or error is saved at once. */
async function section(name: string, estimateS: number, work: () => Promise<unknown>): Promise<void> {
  if (elapsedS() + estimateS > options.deadlineS) {
    report.sections[name] = { skipped: `the deadline (${options.deadlineS} s) would pass: ${elapsedS().toFixed(0)} s spent, about ${estimateS} s needed` };
    console.log(`== ${name}: skipped (deadline)`);
    save();
    return;
  }
  console.log(`== ${name} (at ${elapsedS().toFixed(0)} s)`);
  const t0 = performance.now();
  try {
    report.sections[name] = { seconds: 0, ...((await work()) as object) };
  } catch (error) {
    report.sections[name] = { error: message(error) };
    console.log(`   failed: ${message(error)}`);
  }
  (report.sections[name] as { seconds: number }).seconds = Number(((performance.now() - t0) / 1000).toFixed(1));
  save();
}

const device = await openDevice({ adapter: options.adapter });
const short = options.short;
const reps = short ? 1 : 5;
/** Tuning as a fresh machine has it (on unless KILN_TUNING=off), its choices kept in memory for this process. */
const tuningOn = device.tuning.enabled;
function freshTuning(): TuningOptions {
  const { budgetMs, maxRunMs, minRunMs, warn } = device.tuning;
  return { enabled: tuningOn, budgetMs, maxRunMs, minRunMs, warn, store: new MemoryTuningStore() };
}
device.tuning = freshTuning();

async function withTuning<T>(tuning: TuningOptions, work: () => Promise<T>): Promise<T> {
  const saved = device.tuning;
  device.tuning = tuning;
  try {
    return await work();
  } finally {
    device.tuning = saved;
  }
}

await section('adapter', 1, async () => {
  const a = device.adapter;
  console.log(`   ${a.description || a.device} (${a.backend}, vendor ${a.vendor}, ${a.architecture}); features: ${[...device.gpu.features].sort().join(', ')}`);
  return { summary: a, features: [...device.gpu.features].sort(), tuning: { minRunMs: device.tuning.minRunMs, maxRunMs: device.tuning.maxRunMs } };
});

const files = await shippedMnist();
const batchSizes = short ? [4, 8] : [64, 256];
const stepsPerRun = short ? 2 : 50;

/** The training step at `batch`: images/s over `stepsPerRun` steps in one submit, the tuned forms, and (first batch) a profile. */
async function trainingStep(batch: number, profile: boolean, precision: Precision = 'f32') {
  const train = (await mnistDataset('mnist-train', files.trainImages, files.trainLabels)).take(batch * stepsPerRun);
  manualSeed(0);
  const { trainer } = setupMnist(device, { batchSize: batch, precision });
  const t0 = performance.now();
  const program = await trainer.program('train', train, batch);
  const compileS = (performance.now() - t0) / 1000;
  await trainer.fit(train, { epochs: 1 });
  const ms = await medianMs(reps, () => trainer.fit(train, { epochs: 1, reportEvery: stepsPerRun }));
  const msPerStep = ms / stepsPerRun;
  const imagesPerSecond = (batch * 1000) / msPerStep;
  const gflops = (imagesPerSecond * mnistTrainFlops(MNIST_NETS.full)) / 1e9;
  console.log(
    `   batch ${batch}${precision === 'f32' ? '' : ` ${precision}`}: ${msPerStep.toFixed(3)} ms/step, ${imagesPerSecond.toFixed(0)} images/s, ${gflops.toFixed(1)} GFLOP/s; compile ${compileS.toFixed(1)} s`,
  );
  const forms = program.kernels.filter((k) => k.variant !== undefined).map((k) => ({ label: k.label, node: String(k.node), variant: k.variant }));
  let kernels: unknown = undefined;
  if (profile) {
    train.startEpoch(null);
    const p = await profileProgram(program, { steps: Math.min(stepsPerRun, 10) });
    kernels = p.timed
      ? {
          method: p.method,
          gpuStepMs: p.gpuStepMs,
          wallStepMs: p.wallStepMs,
          kernels: [...p.kernels]
            .sort((a, b) => b.micros - a.micros)
            .map((k) => ({
              label: k.label,
              node: String(k.node),
              shape: k.shape,
              micros: Number(k.micros.toFixed(2)),
              share: Number(k.share.toFixed(4)),
              gflops: Number(k.gflops.toFixed(1)),
            })),
        }
      : { untimed: p.reason, wallStepMs: p.wallStepMs };
    if (p.timed)
      for (const k of [...p.kernels].sort((a, b) => b.micros - a.micros).slice(0, 8))
        console.log(`     ${k.label.padEnd(24)} ${k.shape.padEnd(20)} ${k.micros.toFixed(1).padStart(9)} µs`);
  }
  return {
    batch,
    steps: stepsPerRun,
    msPerStep,
    imagesPerSecond,
    gflops,
    epoch60kSeconds: 60000 / imagesPerSecond,
    compileSeconds: compileS,
    kernelsTuned: program.stats.kernelsTuned,
    tuneSeconds: program.stats.tuneMs / 1000,
    dispatchesPerStep: program.stats.dispatchesPerStep,
    forms,
    ...(kernels ? { profile: kernels } : {}),
  };
}

await section('train', short ? 120 : 90, async () => {
  const rows = [];
  for (const [i, batch] of batchSizes.entries()) rows.push(await trainingStep(batch, i === 0));
  return { rows };
});

await section('epoch', short ? 60 : 30, async () => {
  const all = await mnistDataset('mnist-train', files.trainImages, files.trainLabels);
  const train = short ? all.take(32) : all;
  const test = await mnistDataset('mnist-test', files.testImages, files.testLabels);
  const batch = short ? 8 : 64;
  manualSeed(0);
  const { trainer } = setupMnist(device, { batchSize: batch });
  await trainer.program('train', train, batch);
  const t0 = performance.now();
  await trainer.fit(train, { epochs: 1, shuffle: true });
  await device.sync();
  const seconds = (performance.now() - t0) / 1000;
  const evaluated = await trainer.evaluate(short ? test.take(50) : test, { batchSize: short ? 50 : 1000 });
  console.log(
    `   ${train.count} images in ${seconds.toFixed(2)} s (${(train.count / seconds).toFixed(0)} images/s; 60,000 would take ${((60000 / train.count) * seconds).toFixed(2)} s); test accuracy ${(100 * (evaluated.accuracy ?? NaN)).toFixed(2)}%`,
  );
  return { images: train.count, batch, seconds, imagesPerSecond: train.count / seconds, projected60kSeconds: (60000 / train.count) * seconds, test: evaluated };
});

await section('infer', short ? 60 : 20, async () => {
  if (!short) {
    const run = await kilnMnistInference(device, reps);
    console.log(`   ${run.value.toFixed(0)} images/s at batch 1000`);
    return { batch: 1000, imagesPerSecond: run.value, note: run.note };
  }
  const test = (await mnistDataset('mnist-test', files.testImages, files.testLabels)).take(50);
  manualSeed(0);
  const { trainer } = setupMnist(device);
  await trainer.evaluate(test, { batchSize: 50 });
  const ms = await medianMs(reps, () => trainer.evaluate(test, { batchSize: 50 }));
  console.log(`   ${((50 * 1000) / ms).toFixed(0)} images/s at batch 50`);
  return { batch: 50, imagesPerSecond: (50 * 1000) / ms };
});

/** Whether this python's torch sees a CUDA device. */
const hasCuda = (python: string): boolean => spawnSync(python, ['-c', 'import torch; assert torch.cuda.is_available()'], { stdio: 'ignore' }).status === 0;

/** The spawned torch_reference.py's JSON, or an error naming its last lines of stderr. */
function torchReference(python: string, args: readonly string[]): { rows: Record<string, { value: number; ms_per_step?: number; val_loss?: number }> } {
  const result = spawnSync(python, [join(root, 'bench', 'torch_reference.py'), ...args], { encoding: 'utf8', timeout: 240_000, maxBuffer: 1 << 20 });
  if (result.status !== 0)
    throw new Error(`torch_reference.py: ${(result.stderr || result.error?.message || `exit ${result.status}`).trim().split('\n').slice(-3).join(' | ')}`);
  return JSON.parse(result.stdout) as ReturnType<typeof torchReference>;
}

await section('torch', short ? 60 : 60, async () => {
  const python = pythonWithTorch();
  if (!python) return { missing: 'no python3 with torch' };
  const cuda = hasCuda(python);
  const args = ['--device', cuda ? 'cuda' : 'cpu', '--data', join(root, 'data', 'mnist')];
  args.push(
    '--reps',
    String(reps),
    '--only',
    short ? 'mnist-train' : 'mnist-train,mnist-infer',
    '--batch',
    batchSizes.join(','),
    '--steps',
    String(stepsPerRun),
  );
  const parsed = torchReference(python, args);
  for (const [id, row] of Object.entries(parsed.rows))
    console.log(`   ${id}: ${row.value.toFixed(0)}${row.ms_per_step !== undefined ? ` images/s, ${row.ms_per_step.toFixed(3)} ms/step` : ''}`);
  return { python, cuda, ...parsed };
});

const MATMULS: readonly MatmulCase[] = short
  ? [{ id: 'matmul-37x53x29', label: 'matmul 37x53x29', m: 37, k: 53, n: 29 }]
  : [
      { id: 'matmul-1024', label: 'matmul 1024³', m: 1024, k: 1024, n: 1024 },
      { id: 'matmul-2048', label: 'matmul 2048³', m: 2048, k: 2048, n: 2048 },
      { id: 'matmul-4096', label: 'matmul 4096³', m: 4096, k: 4096, n: 4096 },
      { id: 'matmul-fc1', label: 'fc1 forward 64x9216 . 9216x128', m: 64, k: 9216, n: 128 },
      { id: 'matmul-fc1-256', label: 'fc1 forward 256x9216 . 9216x128', m: 256, k: 9216, n: 128 },
      { id: 'matmul-fc1-dx', label: 'fc1 input gradient 64x128 . 128x9216', m: 64, k: 128, n: 9216 },
      { id: 'matmul-fc1-dw', label: 'fc1 weight gradient 128x64 . 64x9216', m: 128, k: 64, n: 9216 },
    ];

/** Largest error at 64 sampled outputs against float64 sums, relative to the sum of |a||b| there. */
function sampledError(c: MatmulCase, a: Float32Array, b: Float32Array, out: Float32Array): number {
  let worst = 0;
  for (let s = 0; s < 64; s++) {
    const i = (s * 7919) % c.m;
    const j = (s * 104729) % c.n;
    let sum = 0;
    let scale = 0;
    for (let p = 0; p < c.k; p++) {
      const term = a[i * c.k + p]! * b[p * c.n + j]!;
      sum += term;
      scale += Math.abs(term);
    }
    worst = Math.max(worst, Math.abs(out[i * c.n + j]! - sum) / Math.max(scale, 1e-30));
  }
  return worst;
}

/** The product of `c` over parameters a and b; under `autocast` 'f16', of their f16 casts. */
function matmulProgram(c: MatmulCase, a: Float32Array, b: Float32Array, autocast: 'f16' | null = null) {
  const g = new Graph();
  const product = g.autocast(autocast, () => g.matmul(g.param('a', [c.m, c.k], a), g.param('b', [c.k, c.n], b)));
  return { g, product };
}

/** Short mode's forms besides the default: a scalar and a vec4 tiled form and a K split, each 128 invocations (llvmpipe runs them too). */
const SHORT_FORMS = ['tile32x32k16.4x2', 'tile32x64k16.4x4.db.v4', 'ksplit2x4.t128'];

await section('matmul', short ? 240 : 150, async () => {
  const rows = [];
  for (const c of MATMULS) {
    if (elapsedS() > options.deadlineS - 60) {
      rows.push({ id: c.id, skipped: 'deadline' });
      continue;
    }
    const a = filled(c.m * c.k, 11);
    const b = filled(c.k * c.n, 12);
    const { g, product } = matmulProgram(c, a, b);
    const call = product.op!.lower!(product, product.attrs)[0]!;
    const runnable = (call.variants ?? []).filter((v) => unmetNeeds(device, v) === undefined);
    // Short mode (a software adapter, where each form compiles for seconds): the default and the
    // smallest form of each GPU-shaped kind; test/gemm-forms.test.ts checks every form there.
    const variants = short ? runnable.filter((v, i) => i === 0 || SHORT_FORMS.includes(v.name)) : runnable;
    const forms = [];
    for (const v of variants) {
      try {
        const run = await withTuning({ ...device.tuning, force: v.name }, async () => {
          const program = await Program.compile(device, g, { outputs: [product], label: `gpu-check-${c.id}-${v.name}` });
          return timeProgram(device, program, product, matmulFlops(c), reps);
        });
        const error = sampledError(c, a, b, run.output);
        forms.push({ variant: v.name, ms: run.ms, gflops: run.gflops, sampledError: error, ok: error < 1e-4 });
      } catch (e) {
        forms.push({ variant: v.name, error: message(e).split('\n')[0] });
      }
    }
    const tuned = await withTuning(freshTuning(), async () => {
      const program = await Program.compile(device, g, { outputs: [product], label: `gpu-check-${c.id}-tuned` });
      const run = await timeProgram(device, program, product, matmulFlops(c), reps);
      return { variant: program.kernels[0]?.variant, ms: run.ms, gflops: run.gflops, tuneSeconds: program.stats.tuneMs / 1000 };
    });
    const best = forms.reduce<{ variant: string; gflops: number } | null>(
      (x, f) => ('gflops' in f && f.gflops !== undefined && (!x || f.gflops > x.gflops) ? { variant: f.variant, gflops: f.gflops } : x),
      null,
    );
    console.log(`   ${c.label}: best ${best?.variant} ${best?.gflops.toFixed(0)} GFLOP/s; tuned ${tuned.variant} ${tuned.gflops.toFixed(0)} GFLOP/s`);
    for (const f of forms)
      if ('error' in f || !f.ok) console.log(`     ${f.variant}: ${'error' in f ? f.error : `WRONG (sampled error ${f.sampledError.toExponential(1)})`}`);
    rows.push({ id: c.id, label: c.label, m: c.m, k: c.k, n: c.n, forms, tuned, best });
  }
  return { rows };
});

await section('tfjs', short ? 120 : 90, async () => {
  const load = async (): Promise<TfjsModules> => {
    const tf = await import('@tensorflow/tfjs');
    const webgpu = await import('@tensorflow/tfjs-backend-webgpu');
    const unwrap = <T>(m: T): T => ((m as { default?: T }).default ?? m) as T;
    return { tf: unwrap(tf) as TfjsModules['tf'], webgpu: unwrap(webgpu) as TfjsModules['webgpu'] };
  };
  const tfjs = await openTfjs(device, load);
  const rows = [];
  for (const c of MATMULS.slice(0, short ? 1 : 4)) {
    const run = await tfjsMatmul(tfjs.tf, c, reps);
    console.log(`   ${c.label}: ${run.gflops.toFixed(0)} GFLOP/s`);
    rows.push({ id: c.id, ms: run.ms, gflops: run.gflops });
  }
  const data = await parseImagesAndLabels(files.trainImages, files.trainLabels);
  const training = [];
  for (const batch of short ? [4] : batchSizes) {
    const run = await tfjsMnistTraining(tfjs.tf, data, short ? 1 : reps, short ? 1 : 10, batch);
    console.log(`   MNIST training at batch ${batch}: ${run.msPerStep.toFixed(2)} ms/step, ${run.imagesPerSecond.toFixed(0)} images/s`);
    training.push({ batch, msPerStep: run.msPerStep, imagesPerSecond: run.imagesPerSecond, loss: run.loss });
  }
  return { version: tfjs.version, matmulCheck: tfjs.matmulCheck, matmul: rows, training };
});

await section('charlm', short ? 90 : 90, async () => {
  const text = readFileSync(join(root, 'data', 'tinyshakespeare', 'input.txt'), 'utf8');
  // Short mode: a small model of the same kind, so that SwiftShader compiles it in seconds.
  const iterations = short ? 4 : 200;
  const changes = short ? { layers: 1, heads: 2, embd: 32, block: 16, batchSize: 4 } : {};
  const kiln = await kilnCharlm(device, text, iterations, changes);
  console.log(
    `   Kiln: ${kiln.tokens.value.toFixed(0)} tokens/s, ${kiln.tokens.dispatchesPerStep} dispatches per step; val loss ${kiln.valLoss.toFixed(3)} at iteration ${kiln.iterations}`,
  );
  const python = pythonWithTorch();
  let torch: unknown = { missing: 'no python3 with torch' };
  if (python) {
    const cuda = hasCuda(python);
    // PyTorch runs the recipe's own model in both modes (on the CPU in short mode: two iterations).
    const run = torchReference(python, [
      '--device',
      cuda ? 'cuda' : 'cpu',
      '--only',
      'charlm',
      '--charlm-iters',
      String(short ? 2 : iterations),
      '--eval-iters',
      short ? '2' : '20',
    ]);
    const row = run.rows['charlm'];
    if (row)
      console.log(
        `   PyTorch (${cuda ? 'CUDA' : 'CPU'}): ${row.value.toFixed(0)} tokens/s, ${row.ms_per_step?.toFixed(2)} ms/step; val loss ${row.val_loss?.toFixed(3)}`,
      );
    torch = { python, cuda, ...run };
  }
  return { iterations: kiln.iterations, changes, kiln: { tokensPerSecond: kiln.tokens.value, valLoss: kiln.valLoss, note: kiln.tokens.note }, torch };
});

await section('f16', short ? 90 : 60, async () => {
  // precision 'f16-mixed': the MNIST step (its linear layers' products on f16 operands) beside the
  // f32 step of the train section, and the largest product with both operands f16, tuned.
  const step = await trainingStep(batchSizes[0]!, false, 'f16-mixed');
  const c = MATMULS.find((m) => m.id === 'matmul-4096') ?? MATMULS[0]!;
  const a = filled(c.m * c.k, 11);
  const b = filled(c.k * c.n, 12);
  const { g, product } = matmulProgram(c, a, b, 'f16');
  const run = await withTuning(freshTuning(), async () => {
    const program = await Program.compile(device, g, { outputs: [product], label: `gpu-check-${c.id}-f16` });
    const timed = await timeProgram(device, program, product, matmulFlops(c), reps);
    const kernel = program.kernels.find((k) => k.label.startsWith('matmul'));
    return { variant: kernel?.variant, ms: timed.ms, gflops: timed.gflops, output: timed.output, tuneSeconds: program.stats.tuneMs / 1000 };
  });
  // Against float64 sums of the f16-rounded operands: what the kernel computes, to f32 accumulation.
  const error = sampledError(c, a.map(roundToF16), b.map(roundToF16), run.output);
  const f32 = (report.sections['matmul'] as { rows?: { id: string; tuned?: { gflops: number } }[] } | undefined)?.rows?.find((r) => r.id === c.id)?.tuned
    ?.gflops;
  console.log(
    `   ${c.label} f16 operands: tuned ${run.variant} ${run.gflops.toFixed(0)} GFLOP/s${f32 !== undefined ? ` (f32 tuned ${f32.toFixed(0)})` : ''}; sampled error ${error.toExponential(1)}`,
  );
  const matmul = { id: c.id, label: c.label, variant: run.variant, ms: run.ms, gflops: run.gflops, tuneSeconds: run.tuneSeconds };
  return { step, matmul: { ...matmul, sampledError: error, ok: error < 1e-4, f32TunedGflops: f32 ?? null } };
});

report.seconds = Number(elapsedS().toFixed(1));
save();
console.log(`wrote ${jsonPath} after ${elapsedS().toFixed(0)} s`);
device.destroy();
process.exit(0);
