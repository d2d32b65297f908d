// The softmax-regression demo page in headless Chrome (WebGPU on SwiftShader): 3 epochs on 20,000
// Fashion-MNIST images reach > 70% test accuracy, with a grid of test images and their predictions.
// Screenshots go to test-output/demos/. Skipped where there is no chromium.
import { expect } from 'chai';
import { demoState, useDemoBrowser } from './helpers/browser';

interface SoftmaxState {
  phase: string;
  epochs: { epoch: number; trainAccuracy: number; testAccuracy: number; loss: number }[];
  shown: { label: number; predicted: number }[];
}

describe('demo page: softmax regression in Chrome', function () {
  this.timeout(600_000);
  const browser = useDemoBrowser();

  it('softmax regression on Fashion-MNIST: 3 epochs on 20,000 images reach test accuracy > 0.7, with predictions for the shown test images', async () => {
    const page = await browser().open('softmax.html?autostart=1&epochs=3&limit=20000&tuning=off');
    await browser().waitForPhase(page, ['done'], 400_000);
    const state = await demoState<SoftmaxState>(page);
    console.log(
      `      softmax page: ${state.epochs.map((e) => `epoch ${e.epoch} loss ${e.loss.toFixed(4)} train ${e.trainAccuracy.toFixed(4)} test ${e.testAccuracy.toFixed(4)}`).join('; ')}`,
    );
    expect(state.epochs.map((e) => e.epoch)).to.deep.equal([1, 2, 3]);
    expect(state.epochs.at(-1)!.testAccuracy).to.be.greaterThan(0.7);
    expect(state.epochs.at(-1)!.trainAccuracy).to.be.greaterThan(0.7);
    expect(state.shown).to.have.length.of.at.least(16);
    // The grid agrees with the published predictions: one figure per image, wrong ones marked.
    const wrong = state.shown.filter((s) => s.label !== s.predicted).length;
    expect(await page.locator('#grid figure').count()).to.equal(state.shown.length);
    expect(await page.locator('#grid .wrong').count()).to.equal(wrong);
    expect(wrong).to.be.below(state.shown.length / 2);
    await browser().screenshot(page, 'softmax');
    await page.close();
  });
});
