// The `charlm` workload: nanoGPT's shakespeare_char recipe (4 layers, 4 heads, 128 wide, block 64,
// batch 12, AdamW with warmup and cosine decay, clipping at 1, dropout 0) on the shipped tiny
// Shakespeare with LanguageModelTrainer: training tokens/s over the timed iterations and the
// validation loss they reach. nanoGPT reports about 1.88 after its 2,000 iterations; --charlm-iters 2000
// runs the whole recipe (long on a software adapter).
import type { Device } from '../src/device/device';
import { setupCharlm, type CharlmSettings } from '../src/train/recipes/charlm';
import { countGpuCalls } from './count-calls';
import type { KilnMeasured } from './rows';

export interface CharlmRun {
  tokens: KilnMeasured;
  valLoss: number;
  iterations: number;
}

/** `changes`: settings other than the recipe's (the GPU check's short mode shrinks the model). */
export async function kilnCharlm(device: Device, text: string, iterations: number, changes: Partial<CharlmSettings> = {}): Promise<CharlmRun> {
  // The recipe's schedule over its 2,000 iterations, whatever part of it is timed.
  const { model, trainer } = setupCharlm(device, text, changes);
  const compileStart = performance.now();
  const program = await trainer.program();
  const compileSeconds = (performance.now() - compileStart) / 1000;
  // One warm-up group (first dispatches), then the timed iterations in groups of 10 (one submit each).
  await trainer.fit(2, { reportEvery: 2, evalIters: 1 });
  // The training submits counted apart from the final estimate's (one submit per split).
  let trainingSubmits = 0;
  const calls = countGpuCalls(device);
  const result = await trainer.fit(iterations, {
    reportEvery: Math.min(10, iterations),
    evalIters: 20,
    onProgress: () => (trainingSubmits = calls.counts().submits),
  });
  calls.stop();
  const params = model.parameters().reduce((n, p) => n + p.size, 0);
  return {
    tokens: {
      value: result.tokensPerSecond,
      dispatchesPerStep: program.stats.dispatchesPerStep,
      submitsPerStep: trainingSubmits / iterations,
      note: `${(params / 1e6).toFixed(2)}M parameters; ${iterations} timed iterations after 2 warm-up ones (groups of 10 per submit; estimates not timed); compile ${compileSeconds.toFixed(1)} s; val loss ${result.final.val.toFixed(4)} at iteration ${iterations + 2}`,
    },
    valLoss: result.final.val,
    iterations: iterations + 2,
  };
}
