// The seed's MNIST CNN end to end: one batch of the full net against the float64 CPU reference, a
// few training steps, a narrow variant trained to > 85% test accuracy (software adapters run about
// 1 GFLOP/s; the full net costs ~72 MFLOP per training image), determinism, checkpoints, and the CLI.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { evaluateCpu, Graph, manualSeed, Program, type Dataset } from '../src/node';
import { loadCheckpointFile, saveCheckpointFile } from '../src/cli/checkpoint-files';
import { readIdxFolder } from '../src/cli/files';
import { nllLoss } from '../src/ops/nll-loss';
import { MNIST_NETS, mnistDataset, mnistNet, setupMnist, MNIST_MEAN, MNIST_STD } from '../src/train/recipes/mnist';
import { parseImagesAndLabels } from '../src/train/data/idx';
import { testDevice } from './helpers/device';
import { expectClose } from './helpers/numeric';

const SHIPPED = resolve('data/mnist');
const run = promisify(execFile);

let cache: Promise<{ train: Dataset; test: Dataset; images: Uint8Array; labels: Uint8Array }> | null = null;
function shippedMnist() {
  cache ??= (async () => {
    const files = await readIdxFolder(SHIPPED);
    const parsed = await parseImagesAndLabels(files.trainImages, files.trainLabels);
    return {
      train: await mnistDataset('mnist-train', files.trainImages, files.trainLabels),
      test: await mnistDataset('mnist-test', files.testImages, files.testLabels),
      images: parsed.images,
      labels: parsed.labels,
    };
  })();
  return cache;
}

describe('MNIST CNN', function () {
  this.timeout(600_000);

  it("the seed's net: forward and backward of a batch of 2 (dropout on) match the float64 CPU reference", async () => {
    const device = await testDevice();
    const { images, labels } = await shippedMnist();
    manualSeed(0);
    const model = mnistNet(MNIST_NETS.full);
    const g = new Graph();
    const x = g.input('x', [2, 1, 28, 28]);
    const y = g.input('y', [2], 'i32');
    const loss = nllLoss(model.forward(x, { training: true }), y);
    const params = model.namedParameters().map(([, v]) => g.variable(v));
    const grads = g.grad(loss, params);
    const program = await Program.compile(device, g, { outputs: [loss, ...grads] });
    // The CPU gets the values the step starts from (the step advances the dropout counters).
    const leaves = new Map<(typeof params)[number], ArrayLike<number>>();
    for (const node of g.nodes) if (node.kind === 'variable') leaves.set(node, await node.variable!.read());
    // A 2x2 pool window whose two largest values differ by less than float32 rounding sends its
    // gradient wherever rounding puts the maximum, which float64 may put elsewhere: the first two
    // images have such a window (relative gap 4e-7) and failed with a kernel that only summed in
    // another order. So the batch is the first pair of images whose windows are exact ties or apart
    // by at least 1e-4 (exact ties go to the first maximum on both sides).
    const pooled = g.nodes.find((n) => n.op?.name === 'max_pool2d')!.inputs[0]!;
    let first = 0;
    for (; ; first += 2) {
      expect(first, 'a pair of images without near-ties in the pool windows').to.be.below(40);
      leaves.set(
        x,
        Float32Array.from(images.subarray(first * 784, (first + 2) * 784), (p) => (p / 255 - MNIST_MEAN) / MNIST_STD),
      );
      if (smallestPoolGap(evaluateCpu([pooled], leaves).get(pooled)!.data, pooled.shape) >= 1e-4) break;
    }
    const xs = leaves.get(x) as Float32Array;
    const ys = Int32Array.from(labels.subarray(first, first + 2));
    leaves.set(y, ys);
    program.run({ x: xs, y: ys });
    const cpu = evaluateCpu([loss, ...grads], leaves);
    expectClose((await program.read(loss)) as Float32Array, cpu.get(loss)!.data, 'loss', 1e-4, 1e-5);
    const names = model.namedParameters().map(([name]) => name);
    expect(names).to.deep.equal(['conv1.weight', 'conv1.bias', 'conv2.weight', 'conv2.bias', 'fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
    for (const [i, gradient] of grads.entries()) {
      const ref = cpu.get(gradient)!.data;
      const scale = ref.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      expectClose((await program.read(gradient)) as Float32Array, ref, `d loss / d ${names[i]}`, 1e-3, 1e-4 * scale);
    }
  });

  it("the seed's net: 10 training steps on one batch lower the loss", async () => {
    const device = await testDevice();
    const { train } = await shippedMnist();
    const batch = train.take(16);
    manualSeed(0);
    const { trainer } = setupMnist(device, { batchSize: 16 });
    const history = await trainer.fit(batch, { epochs: 10 });
    const losses = history.map((h) => h.loss);
    console.log(`      full net, 10 steps on 16 images: losses ${losses.map((l) => l.toFixed(3)).join(' ')}`);
    expect(losses.at(-1)!).to.be.below(losses[0]! * 0.5);
  });

  it('the narrow net on 6,000 training images reaches test accuracy > 0.85 on 2,000 test images; the same seed gives the same losses', async () => {
    const device = await testDevice();
    const { train, test } = await shippedMnist();
    const subset = train.take(6000);
    const firstTest = test.take(2000);
    manualSeed(0);
    // Batch 32 rather than the seed's 64: twice the SGD steps in the one short epoch CI can afford
    // (measured: 0.856 at batch 64, 0.893 at batch 32 on these images).
    const { model, trainer } = setupMnist(device, { net: MNIST_NETS.narrow, seed: 0, batchSize: 32 });
    const history = await trainer.fit(subset, { epochs: 1 });
    const result = await trainer.evaluate(firstTest, { batchSize: 1000 });
    console.log(
      `      narrow net: train loss ${history[0]!.loss.toFixed(4)} (${(subset.count / history[0]!.seconds).toFixed(0)} images/s), test loss ${result.loss.toFixed(4)}, accuracy ${result.accuracy!.toFixed(4)}`,
    );
    expect(result.accuracy!).to.be.greaterThan(0.85);

    // Save, load into a fresh net, evaluate: identical figures.
    const dir = mkdtempSync(join(tmpdir(), 'kiln-mnist-'));
    try {
      const file = join(dir, 'narrow.safetensors');
      await saveCheckpointFile(model, file);
      manualSeed(123);
      const restored = setupMnist(device, { net: MNIST_NETS.narrow });
      await loadCheckpointFile(restored.model, file);
      for (const [[name, a], [, b]] of model.namedParameters().map((p, i) => [p, restored.model.namedParameters()[i]!] as const)) {
        expect(new Uint32Array((await b.read()).buffer), name).to.deep.equal(new Uint32Array((await a.read()).buffer));
      }
      expect(await restored.trainer.evaluate(firstTest, { batchSize: 1000 })).to.deep.equal(result);

      const bytes = readFileSync(file);
      writeFileSync(join(dir, 'cut.safetensors'), bytes.subarray(0, bytes.length - 1000));
      const fresh = setupMnist(device, { net: MNIST_NETS.narrow });
      let error: Error | null = null;
      await loadCheckpointFile(fresh.model, join(dir, 'cut.safetensors')).catch((e: Error) => (error = e));
      expect(String(error)).to.match(/cut\.safetensors.*truncated/);
      const wide = setupMnist(device, { net: MNIST_NETS.full });
      error = null;
      await loadCheckpointFile(wide.model, file).catch((e: Error) => (error = e));
      expect(String(error)).to.match(/conv1\.weight has shape \[8,1,3,3\].*expects \[32,1,3,3\]/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    // Determinism: the same seed twice gives identical losses.
    const small = train.take(640);
    const runs: number[][] = [];
    for (let i = 0; i < 2; i++) {
      manualSeed(7);
      const again = setupMnist(device, { net: MNIST_NETS.narrow, seed: 7 });
      runs.push((await again.trainer.fit(small, { epochs: 2 })).map((h) => h.loss));
    }
    expect(runs[0]).to.deep.equal(runs[1]);
  });

  it("evaluation halves a batch too large for the adapter's largest binding (same figures); training names the tensor", async () => {
    const device = await testDevice();
    const { test } = await shippedMnist();
    const few = test.take(1000);
    manualSeed(0);
    const { trainer } = setupMnist(device, { net: MNIST_NETS.narrow });
    const reference = await trainer.evaluate(few, { batchSize: 100 });
    // llvmpipe allows 128 MiB, less than the full net's conv2 output at batch 1000 (147 MB). The
    // narrow net's is 36,864 bytes per image: 4 MiB holds 113 images.
    const limits = device.limits;
    const saved = limits['maxStorageBufferBindingSize']!;
    limits['maxStorageBufferBindingSize'] = 4 * 2 ** 20;
    try {
      const limited = await trainer.evaluate(few, { batchSize: 1000 });
      expect(limited.accuracy).to.equal(reference.accuracy);
      expect(limited.loss).to.be.closeTo(reference.loss, 1e-5);
      const big = setupMnist(device, { net: MNIST_NETS.narrow, batchSize: 500 });
      let error: Error | null = null;
      await big.trainer.fit(few, { epochs: 1 }).catch((e: Error) => (error = e));
      expect(String(error)).to.match(
        /train\[500\]: .* \[500,16,24,24\] needs 18,432,000 bytes, more than this adapter's maxStorageBufferBindingSize \(4,194,304\); use a smaller batch/,
      );
    } finally {
      limits['maxStorageBufferBindingSize'] = saved;
    }
  });

  it('kiln train mnist --save, then kiln eval mnist --load, print the same test figures', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-cli-'));
    try {
      const file = join(dir, 'net.safetensors');
      const common = ['--net', 'narrow', '--test-limit', '500'];
      const trained = await run('node', ['bin/kiln.js', 'train', 'mnist', '--epochs', '1', '--limit', '640', '--save', file, ...common]);
      const testLine = trained.stdout.split('\n').find((l) => l.startsWith('Test set:'));
      expect(testLine).to.match(/^Test set: Average loss: \d+\.\d{4}, Accuracy: \d+\/500 /);
      // No --net: eval reads which net the checkpoint holds from conv1.weight's shape.
      const evaluated = await run('node', ['bin/kiln.js', 'eval', 'mnist', '--load', file, '--test-limit', '500']);
      expect(evaluated.stdout).to.contain('(conv 8, conv 16, fc 64)');
      expect(evaluated.stdout).to.contain(testLine);
      const missing = await run('node', ['bin/kiln.js', 'eval', 'mnist', '--load', join(dir, 'none.safetensors'), ...common]).catch(
        (e: { stderr: string; code: number }) => e,
      );
      expect((missing as { code: number }).code).to.equal(1);
      expect((missing as { stderr: string }).stderr).to.contain('none.safetensors');
      const badNet = await run('node', ['bin/kiln.js', 'train', 'mnist', '--net', 'huge']).catch((e: { stderr: string; code: number }) => e);
      expect((badNet as { code: number }).code).to.equal(2);
      expect((badNet as { stderr: string }).stderr).to.contain("--net must be one of full, narrow, got 'huge'");
      if (existsSync('/usr/share/datasets/fashion-mnist')) {
        const fashion = await run('node', [
          'bin/kiln.js',
          'train',
          'mnist',
          '--dataset',
          'fashion',
          '--net',
          'narrow',
          '--limit',
          '128',
          '--test-limit',
          '200',
          '--epochs',
          '1',
        ]);
        expect(fashion.stdout)
          .to.contain('Fashion-MNIST CNN')
          .and.match(/Accuracy: \d+\/200 /);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** The smallest non-zero relative gap between the two largest values of a 2x2 window of x [B,C,H,W]. */
function smallestPoolGap(x: ArrayLike<number>, shape: readonly number[]): number {
  const [b, c, h, w] = shape as [number, number, number, number];
  let smallest = Infinity;
  for (let plane = 0; plane < b * c; plane++) {
    for (let i = 0; i + 1 < h; i += 2) {
      for (let j = 0; j + 1 < w; j += 2) {
        const at = (plane * h + i) * w + j;
        const [top, next] = [x[at]!, x[at + 1]!, x[at + w]!, x[at + w + 1]!].sort((p, q) => q - p) as [number, number];
        if (top > next) smallest = Math.min(smallest, (top - next) / Math.max(Math.abs(top), 1e-30));
      }
    }
  }
  return smallest;
}
