// The MNIST demo page in headless Chrome (WebGPU on SwiftShader): the narrow net trains with live
// curves; a run interrupted by a reload resumes from its checkpoint in IndexedDB; and a checkpoint
// trained in Node, loaded through the page's file input, scores exactly Node's count of correct test
// images and classifies test digits "drawn" on the page's canvas through its preprocessing and GPU
// inference. Screenshots go to test-output/demos/. Skipped where there is no chromium.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { loadCheckpointFile } from '../src/cli/checkpoint-files';
import { readIdxFolder } from '../src/cli/files';
import { Graph, manualSeed, Program } from '../src/node';
import { parseImagesAndLabels } from '../src/train/data/idx';
import { MNIST_MEAN, MNIST_NETS, MNIST_STD, mnistDataset, setupMnist } from '../src/train/recipes/mnist';
import { demoState, useDemoBrowser } from './helpers/browser';
import { testDevice } from './helpers/device';

const run = promisify(execFile);

interface MnistState {
  phase: string;
  net: string;
  software: boolean;
  epochs?: { epoch: number; loss: number; testAccuracy: number; testCorrect: number; imagesPerSecond: number }[];
  lossPoints?: number;
  testAccuracy?: number;
  testCorrect?: number;
  testCount?: number;
  loadError?: string;
  prediction?: { probabilities: number[]; predicted: number };
  checkpoint?: { epoch: number; step: number };
  resumedFrom?: { epoch: number; step: number };
}

describe('demo page: the MNIST CNN in Chrome', function () {
  this.timeout(600_000);
  const browser = useDemoBrowser();

  it('the MNIST page trains the narrow net (1,500 images, 1 epoch) with a live loss curve and test accuracy, and classifies a mouse drawing', async () => {
    const page = await browser().open('mnist.html?net=narrow&epochs=1&limit=1500&testLimit=500&batch=32&autostart=1&tuning=off');
    await browser().waitForPhase(page, ['done'], 400_000);
    const state = await demoState<MnistState>(page);
    const epoch = state.epochs![0]!;
    console.log(
      `      mnist page (narrow, 1,500 images): loss ${epoch.loss.toFixed(4)}, ${epoch.imagesPerSecond.toFixed(0)} images/s, test ${epoch.testCorrect}/500, ${state.lossPoints} loss points`,
    );
    expect(state.software, 'SwiftShader is a software adapter').to.equal(true);
    expect(await page.locator('#software-note').isVisible()).to.equal(true);
    expect(state.epochs).to.have.length(1);
    expect(state.lossPoints!).to.be.at.least(10);
    expect(state.testCount).to.equal(500);
    expect(state.testAccuracy!).to.be.greaterThan(0.5);
    expect(await page.locator('#test-accuracy').textContent()).to.contain(`${state.testCorrect}/500`);

    // A "7" drawn with the mouse: the stroke end runs a prediction (whatever the class).
    await page.locator('#pad').scrollIntoViewIfNeeded();
    const box = (await page.locator('#pad').boundingBox())!;
    await page.mouse.move(box.x + 70, box.y + 60);
    await page.mouse.down();
    for (const [x, y] of [
      [210, 60],
      [180, 130],
      [150, 230],
    ] as const)
      await page.mouse.move(box.x + x, box.y + y, { steps: 8 });
    await page.mouse.up();
    await page.waitForFunction(() => (window as unknown as { kilnDemo: MnistState }).kilnDemo.prediction !== undefined, null, { timeout: 60_000 });
    const { prediction } = await demoState<MnistState>(page);
    expect(prediction!.probabilities).to.have.length(10);
    expect(prediction!.probabilities.reduce((a, b) => a + b, 0)).to.be.closeTo(1, 1e-4);
    expect(await page.locator('#bars .bar').count()).to.equal(10);
    await browser().screenshot(page, 'mnist-train');
    await page.close();
  });

  it('a training run interrupted by a reload resumes from its last checkpoint (IndexedDB) and ends as the uninterrupted run', async () => {
    // 20 steps of 16 per epoch: a checkpoint every 10 steps, so one lands in the middle of an epoch.
    const url = 'mnist.html?net=narrow&epochs=2&limit=320&testLimit=100&batch=16&autostart=1&tuning=off';
    const straight = await browser().open(`${url}&resume=0`);
    await browser().waitForPhase(straight, ['done'], 400_000);
    const expected = (await demoState<MnistState>(straight)).epochs!.map((e) => [e.epoch, e.loss, e.testCorrect]);
    await straight.close();
    expect(expected).to.have.length(2);

    const page = await browser().open(url);
    // Reload once the run has a checkpoint in the middle of an epoch.
    await page.waitForFunction(() => ((window as unknown as { kilnDemo: MnistState }).kilnDemo.checkpoint?.step ?? 0) > 0, null, {
      timeout: 400_000,
      polling: 100,
    });
    const saved = (await demoState<MnistState>(page)).checkpoint!;
    await page.reload();
    await browser().waitForPhase(page, ['done'], 400_000);
    const state = await demoState<MnistState>(page);
    expect(state.resumedFrom!.epoch * 1000 + state.resumedFrom!.step).to.be.at.least(saved.epoch * 1000 + saved.step);
    expect(state.epochs!.map((e) => [e.epoch, e.loss, e.testCorrect])).to.deep.equal(expected);
    console.log(
      `      reloaded after the checkpoint at epoch ${saved.epoch}, step ${saved.step}; resumed from epoch ${state.resumedFrom!.epoch}, step ${state.resumedFrom!.step}: the same ${expected.length} epochs`,
    );
    // The finished run is forgotten: another reload starts fresh.
    await page.reload();
    await browser().waitForPhase(page, ['running', 'done', 'ready'], 120_000);
    expect((await demoState<MnistState>(page)).resumedFrom).to.equal(undefined);
    await page.close();
  });

  it("a checkpoint trained in Node, loaded into the page, scores Node's exact test count and classifies drawn test digits", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-demo-mnist-'));
    try {
      // Node: train the narrow net with the command line and save it.
      const file = join(dir, 'narrow.safetensors');
      const cli = await run('node', [
        'bin/kiln.js',
        'train',
        'mnist',
        '--net',
        'narrow',
        '--limit',
        '3000',
        '--epochs',
        '1',
        '--batch-size',
        '32',
        '--test-limit',
        '1000',
        '--save',
        file,
      ]);
      const cliCorrect = Number(/Accuracy: (\d+)\/1000 /.exec(cli.stdout)?.[1]);
      const device = await testDevice();
      const files = await readIdxFolder(resolve('data/mnist'));
      const test = (await mnistDataset('mnist-test', files.testImages, files.testLabels)).take(1000);

      // Node's figures for the file: a fresh net loaded from it, evaluated as `kiln eval mnist` does.
      manualSeed(1);
      const restored = setupMnist(device, { net: MNIST_NETS.narrow });
      await loadCheckpointFile(restored.model, file);
      const nodeEval = await restored.trainer.evaluate(test, { batchSize: 1000 });
      const nodeCorrect = Math.round(nodeEval.accuracy! * 1000);
      expect(nodeCorrect, 'the API and kiln train mnist agree').to.equal(cliCorrect);

      // Ten test digits that Node's forward pass classifies correctly (so the check is about the page's path).
      const parsed = await parseImagesAndLabels(files.testImages, files.testLabels);
      const g = new Graph();
      const x = g.input('x', [100, 1, 28, 28]);
      const predictedOut = g.argmax(restored.model.forward(x, { training: false }), 1);
      const predictor = await Program.compile(device, g, { outputs: [predictedOut] });
      predictor.run({ x: Float32Array.from(parsed.images.subarray(0, 100 * 784), (p) => (p / 255 - MNIST_MEAN) / MNIST_STD) });
      const nodePredicted = await predictor.read(predictedOut);
      const chosen = [...Array(100).keys()].filter((i) => nodePredicted[i] === parsed.labels[i]).slice(0, 10);
      expect(chosen).to.have.length(10);

      // Chrome: open with the full net selected; the file's conv1.weight shape switches it to narrow.
      const page = await browser().open('mnist.html?net=full&testLimit=1000&tuning=off');
      await browser().waitForPhase(page, ['ready'], 120_000);
      await page.setInputFiles('#load-weights', file);
      await browser().waitForPhase(page, ['done'], 300_000);
      const state = await demoState<MnistState>(page);
      console.log(
        `      Node: ${nodeCorrect}/1000 correct (loss ${nodeEval.loss.toFixed(4)}); Chrome page: ${state.testCorrect}/${state.testCount} (loss ${(state as { testLoss?: number }).testLoss?.toFixed(4)})`,
      );
      expect(await page.locator('#net').inputValue()).to.equal('narrow');
      expect(state.testCount).to.equal(1000);
      expect(state.testCorrect).to.equal(nodeCorrect);
      expect(await page.locator('#test-accuracy').textContent()).to.contain(`${nodeCorrect}/1000`);

      // Save weights: the page's download holds the same bytes as Node's file (same names, order and values).
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save-weights')]);
      expect(download.suggestedFilename()).to.equal('mnist.safetensors');
      const saved = join(dir, 'saved.safetensors');
      await download.saveAs(saved);
      expect(Buffer.compare(readFileSync(saved), readFileSync(file))).to.equal(0);

      // "Draw" the ten digits: each is painted on the pad, preprocessed as a drawing and classified on the GPU.
      const results: { label: number; predicted: number }[] = [];
      for (const i of chosen) {
        const pixels = Array.from(parsed.images.subarray(i * 784, (i + 1) * 784));
        const predicted = await page.evaluate(
          (px) => (window as unknown as { kilnDemo: { drawDigit(p: number[]): Promise<number> } }).kilnDemo.drawDigit(px),
          pixels,
        );
        results.push({ label: parsed.labels[i]!, predicted });
      }
      const right = results.filter((r) => r.label === r.predicted).length;
      console.log(
        `      drawn test digits ${chosen.join(',')}: labels ${results.map((r) => r.label).join('')}, page predicted ${results.map((r) => r.predicted).join('')} (${right}/10)`,
      );
      expect(right).to.be.at.least(8);
      const { prediction } = await demoState<MnistState>(page);
      expect(prediction!.predicted).to.equal(results.at(-1)!.predicted);
      await browser().screenshot(page, 'mnist-draw');

      // A damaged file: a clear error on the page, and the loaded net stays.
      const bytes = readFileSync(file);
      const cut = join(dir, 'cut.safetensors');
      writeFileSync(cut, bytes.subarray(0, bytes.length - 1000));
      await page.setInputFiles('#load-weights', cut);
      await page.waitForFunction(() => (window as unknown as { kilnDemo: MnistState }).kilnDemo.loadError !== undefined, null, { timeout: 60_000 });
      expect(await page.locator('#weights-error').textContent()).to.match(/cut\.safetensors.*truncated/);
      expect((await demoState<MnistState>(page)).phase).to.equal('done');
      await page.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
