// The character-GPT demo page in headless Chrome (WebGPU on SwiftShader): a small model trains live
// to a validation loss below the uniform one, with a loss curve, tokens/s and samples at each
// estimate; and a model trained in Node (`kiln train charlm --save`), loaded through the page's file
// input, continues a prompt with exactly the text `kiln sample` gives for the same seed.
// Skipped where there is no chromium.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { demoState, useDemoBrowser } from './helpers/browser';

const run = promisify(execFile);

interface CharlmState {
  phase: string;
  evals?: { iteration: number; train: number; val: number; sample: string }[];
  final?: { val: number };
  vocabSize?: number;
  tokensPerSecond?: number;
  generated?: string;
  loadError?: string;
}

describe('demo page: the character-level GPT in Chrome', function () {
  this.timeout(600_000);
  const browser = useDemoBrowser();

  it('trains a small GPT live: validation loss below uniform, a loss curve, tokens/s and samples at each estimate', async () => {
    const page = await browser().open(
      'charlm.html?layers=1&heads=2&embd=32&block=16&batch=8&iters=60&lr=0.01&evalEvery=30&evalIters=2&reportEvery=10&sampleTokens=40&autostart=1&tuning=off',
    );
    await browser().waitForPhase(page, ['done'], 400_000);
    const state = await demoState<CharlmState>(page);
    const uniform = Math.log(state.vocabSize!);
    console.log(
      `      charlm page: val ${state.evals!.map((e) => `${e.val.toFixed(3)} at ${e.iteration}`).join(', ')} (uniform ${uniform.toFixed(3)}), ${state.tokensPerSecond!.toFixed(0)} tokens/s`,
    );
    expect(state.vocabSize).to.equal(65);
    expect(state.evals!.map((e) => e.iteration)).to.deep.equal([30, 60]);
    expect(state.final!.val).to.be.below(uniform - 0.5);
    expect(state.tokensPerSecond).to.be.greaterThan(0);
    for (const e of state.evals!) expect(e.sample).to.have.length(41); // the '\n' prompt and 40 characters
    expect(await page.locator('#samples div').count()).to.equal(2);
    expect(await page.locator('#val').textContent()).to.equal(state.final!.val.toFixed(4));
    await browser().screenshot(page, 'charlm-train');
    await page.close();
  });

  it("a model trained in Node, loaded into the page, continues a prompt with kiln sample's text for the same seed", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-demo-charlm-'));
    try {
      const file = join(dir, 'charlm.safetensors');
      // Trained on llvmpipe (faster), sampled on SwiftShader, the adapter Chrome runs the page on.
      const small = ['--layers', '1', '--heads', '2', '--embd', '16', '--block', '16', '--batch-size', '4', '--iters', '20', '--eval-every', '0'];
      const train = ['bin/kiln.js', 'train', 'charlm', ...small, '--eval-iters', '2', '--sample-tokens', '0', '--save', file];
      await run('node', train, { env: { ...process.env, KILN_ADAPTER: 'llvmpipe' } });
      const sample = await run('node', ['bin/kiln.js', 'sample', '--load', file, '--prompt', 'ROMEO:', '--tokens', '30', '--seed', '7'], {
        env: { ...process.env, KILN_ADAPTER: 'swiftshader' },
      });
      const page = await browser().open('charlm.html?tuning=off&prompt=ROMEO:&tokens=30&seed=7');
      await browser().waitForPhase(page, ['ready'], 120_000);
      await page.setInputFiles('#load-model', file);
      await browser().waitForPhase(page, ['done'], 120_000);
      await page.click('#generate');
      await page.waitForFunction(() => (window as unknown as { kilnDemo: CharlmState }).kilnDemo.generated !== undefined, null, { timeout: 120_000 });
      const { generated } = await demoState<CharlmState>(page);
      console.log(`      Node: ${JSON.stringify(sample.stdout.trimEnd())}; page: ${JSON.stringify(generated)}`);
      expect(generated).to.equal(sample.stdout.replace(/\n$/, ''));
      await page.setInputFiles('#load-model', join(process.cwd(), 'data', 'tinyshakespeare', 'input.txt'));
      await page.waitForFunction(() => (window as unknown as { kilnDemo: CharlmState }).kilnDemo.loadError !== undefined, null, { timeout: 60_000 });
      expect(await page.locator('#model-error').textContent()).to.match(/input\.txt/);
      await page.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
