// The short run on the real corpus: a tiny GPT (1 layer, 2 heads, 32 wide, block 32, batch 8)
// trained for 300 iterations of the charlm recipe on tiny Shakespeare reaches a validation loss well
// below the unigram baseline, the cross-entropy of the validation split under the training split's
// character frequencies (3.35 nats; the uniform one over 65 characters is ln 65 = 4.17). Measured
// here: 3.07, 2.79 and 2.67 after 100, 200 and 300 iterations (llvmpipe), 0.68 below it at the end;
// the test asks for 0.5. The same seed gives the same losses, to the bit.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { setupCharlm } from '../src/train/recipes/charlm';
import { testDevice } from './helpers/device';

const SMALL = { layers: 1, heads: 2, embd: 32, block: 32, batchSize: 8, iters: 300, lr: 1e-2, warmup: 20, minLr: 1e-3, deterministic: true };

/** Cross-entropy (nats) of `val` under the unigram distribution of `train`. */
function unigramLoss(train: Int32Array, val: Int32Array, vocab: number): number {
  const counts = new Float64Array(vocab);
  for (const t of train) counts[t]! += 1;
  let sum = 0;
  for (const t of val) sum -= Math.log(counts[t]! / train.length);
  return sum / val.length;
}

describe('charlm on tiny Shakespeare', function () {
  this.timeout(600_000);

  it('a tiny model learns well below the unigram baseline in 300 iterations, and the same seed gives the same losses', async () => {
    const device = await testDevice();
    const text = readFileSync('data/tinyshakespeare/input.txt', 'utf8');
    const run = async () => {
      const { trainer, ids, split, vocab } = setupCharlm(device, text, SMALL);
      const estimates: number[] = [];
      const result = await trainer.fit(SMALL.iters, { reportEvery: 50, evalEvery: 100, evalIters: 20, onEval: (e) => void estimates.push(e.train, e.val) });
      return { estimates, val: result.final.val, unigram: unigramLoss(ids.subarray(0, split), ids.subarray(split), vocab.size) };
    };
    const first = await run();
    console.log(
      `      val losses at 100, 200, 300: ${first.estimates
        .filter((_, i) => i % 2 === 1)
        .map((l) => l.toFixed(3))
        .join(', ')}; unigram ${first.unigram.toFixed(3)}`,
    );
    expect(first.unigram).to.be.closeTo(3.347, 0.001);
    expect(first.val).to.be.below(first.unigram - 0.5);
    const second = await run();
    expect(second.estimates).to.deep.equal(first.estimates);
  });
});
