// The linear-regression and gradient-descent demo pages in headless Chrome (WebGPU on SwiftShader):
// they train to the known answers, give the same losses as Node for the same seed, show the paths of
// gradient descent, and say clearly that WebGPU is missing where it is, instead of a blank page.
import { expect } from 'chai';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { manualSeed } from '../src/node';
import { setupLinreg, trainLinreg } from '../src/train/recipes/linreg';
import { houseData, leastSquares } from '../demos/common/linreg-data';
import { browserAvailable, CHROMIUM, CHROMIUM_ARGS, demoState, SCREENSHOTS, useDemoBrowser, type DemoBrowser } from './helpers/browser';
import { testDevice } from './helpers/device';

/** What the pages publish on window.kilnDemo that these tests read. */
interface LinregState {
  phase: string;
  adapter?: string;
  w: number;
  b: number;
  losses: number[];
  testLosses: number[];
  diverged: boolean;
}

interface PathState {
  name: string;
  points: [number, number][];
  finalLoss: number;
  diverged: boolean;
  leftMapAt: number | null;
}

const state = demoState;
const numberIn = async (page: Page, id: string): Promise<number> => Number(await page.textContent(`#${id}`));

async function screenshot(browser: DemoBrowser, page: Page, name: string): Promise<void> {
  const file = await browser.screenshot(page, name);
  expect(statSync(file).size, file).to.be.above(10_000);
}

describe('demo pages: linear regression and gradient descent (Chrome)', function () {
  this.timeout(300_000);
  const browser = useDemoBrowser();

  it('y = 2x + 3 with the seed recipe (lr 0.01, full batch, 1000 epochs) reaches w = 2, b = 3 read from the page', async () => {
    const page = await browser().open('linreg.html?dataset=line&autostart=1');
    await browser().waitForPhase(page, ['done'], 240_000);
    const w = await numberIn(page, 'w');
    const b = await numberIn(page, 'b');
    const s = await state<LinregState>(page);
    expect(s.losses).to.have.length(1000);
    expect(Math.abs(w - 2), `w = ${w}`).to.be.below(0.05);
    expect(Math.abs(b - 3), `b = ${b}`).to.be.below(0.15);
    expect(s.w).to.be.closeTo(w, 1e-4);
    await screenshot(browser(), page, 'linreg-line');
    await page.close();
  });

  it('the same seed gives the same per-epoch losses in Chrome as in Node (kiln train linreg --variant a)', async () => {
    const page = await browser().open('linreg.html?dataset=line&lr=0.01&batch=11&epochs=20&standardize=0&seed=0&autostart=1');
    await browser().waitForPhase(page, ['done'], 120_000);
    const { losses: chrome, adapter } = await state<LinregState>(page);
    await page.close();
    const device = await testDevice();
    manualSeed(0);
    const setup = setupLinreg(device, 'a');
    // The first 20 epochs do not depend on the 980 after them: train only those.
    setup.epochs = 20;
    const node = (await trainLinreg(setup)).losses;
    expect(chrome).to.have.length(20);
    const worst = Math.max(...node.map((l, i) => Math.abs(chrome[i]! - l) / Math.abs(l)));
    console.log(
      `      Node (${device.adapter.description || device.adapter.device}) vs Chrome (${adapter}): first losses ${node[0]!.toPrecision(8)} / ${chrome[0]!.toPrecision(8)}, ${node[19]!.toPrecision(8)} / ${chrome[19]!.toPrecision(8)} at epoch 20, largest relative difference ${worst.toExponential(2)}`,
    );
    node.forEach((l, i) => expect(chrome[i], `epoch ${i + 1}`).to.be.closeTo(l, Math.abs(l) * 1e-5));
  });

  it('house prices: standardized minibatch SGD lands near least squares in the original units, with a held-out loss', async () => {
    const page = await browser().open('linreg.html?dataset=house&autostart=1');
    await browser().waitForPhase(page, ['done'], 120_000);
    const s = await state<LinregState>(page);
    const data = houseData(0);
    const exact = leastSquares(data.x, data.y);
    expect(await numberIn(page, 'w')).to.be.closeTo(exact.w, 0.03);
    expect(await numberIn(page, 'b')).to.be.closeTo(exact.b, 1.5);
    expect(s.testLosses).to.have.length(s.losses.length);
    // Noise of std 5 puts the best possible loss near 25, on the held-out months as on the others.
    expect(s.losses.at(-1)).to.be.within(exact.loss, exact.loss * 1.2);
    expect(s.testLosses.at(-1)).to.be.within(10, 60);
    expect(await page.isVisible('#test-loss')).to.equal(true);
    await screenshot(browser(), page, 'linreg');
    await page.close();
  });

  it('gradient descent: a too-large learning rate diverges off the map, a good one and standardized x converge', async () => {
    const page = await browser().open('descent.html');
    await browser().waitForPhase(page, ['done'], 180_000);
    const { paths, bestLoss } = await state<{ paths: PathState[]; bestLoss: number }>(page);
    const byName = new Map(paths.map((p) => [p.name, p]));
    const large = byName.get('too large')!;
    const good = byName.get('good')!;
    const std = byName.get('standardized')!;
    expect(large.diverged).to.equal(true);
    expect(large.leftMapAt).to.be.a('number');
    expect(good.diverged).to.equal(false);
    expect(good.finalLoss).to.be.below(bestLoss * 1.01);
    expect(std.diverged).to.equal(false);
    expect(std.finalLoss).to.be.below(bestLoss * 1.001);
    expect(good.points.length).to.be.above(10);
    expect(await page.textContent('#runs')).to.contain('diverged');
    await screenshot(browser(), page, 'descent');
    await page.close();
  });

  describe('without WebGPU', () => {
    let context: BrowserContext | null = null;
    let profile = '';

    before(async function () {
      if (!browserAvailable()) this.skip();
      profile = mkdtempSync(join(tmpdir(), 'kiln-chromium-nogpu-'));
      const args = CHROMIUM_ARGS.filter((a) => !/webgpu|swiftshader/.test(a));
      context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args, viewport: { width: 1280, height: 800 } });
      // Chromium on Linux may keep navigator.gpu without the flag (and then find no adapter); hide it
      // so that the pages meet a browser with no WebGPU at all.
      const probe = await context.newPage();
      await probe.goto(`${browser().server.url}index.html`);
      const exposed = await probe.evaluate(() => 'gpu' in navigator && navigator.gpu !== undefined);
      await probe.close();
      if (exposed) await context.addInitScript(() => Object.defineProperty(navigator, 'gpu', { value: undefined }));
    });

    after(async () => {
      await context?.close();
      if (profile) rmSync(profile, { recursive: true, force: true });
    });

    for (const name of ['linreg', 'descent', 'softmax', 'mnist']) {
      it(`${name}.html shows the no-WebGPU message and phase 'no-webgpu', not a blank page`, async () => {
        const page = await context!.newPage();
        await page.goto(`${browser().server.url}${name}.html?autostart=1`);
        await page.waitForFunction(() => (window as unknown as { kilnDemo?: { phase: string } }).kilnDemo?.phase !== 'loading', null, { timeout: 30_000 });
        expect(await page.evaluate(() => navigator.gpu)).to.equal(undefined);
        expect(await page.evaluate(() => (window as unknown as { kilnDemo: { phase: string } }).kilnDemo.phase)).to.equal('no-webgpu');
        expect(await page.getAttribute('body', 'data-phase')).to.equal('no-webgpu');
        expect(await page.isVisible('.no-webgpu')).to.equal(true);
        expect(await page.textContent('.no-webgpu')).to.match(/This page needs WebGPU/);
        expect(await page.textContent('h1')).to.not.equal('');
        if (name === 'linreg') await page.screenshot({ path: join(SCREENSHOTS, 'linreg-no-webgpu.png') });
        await page.close();
      });
    }

    it('index.html loads and links every page', async () => {
      const page = await context!.newPage();
      const response = await page.goto(`${browser().server.url}index.html`);
      expect(response?.status()).to.equal(200);
      expect(await page.textContent('h1')).to.equal('Kiln demos');
      const links = await page.$$eval('main a', (as) => as.map((a) => a.getAttribute('href')));
      expect(links).to.include.members(['linreg.html', 'descent.html', 'softmax.html', 'mnist.html']);
      await page.close();
    });
  });
});
