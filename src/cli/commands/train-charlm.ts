// kiln train charlm: nanoGPT's shakespeare_char recipe (a character-level GPT) on the GPU, with
// LanguageModelTrainer: a character vocabulary from the text, the first 90% for training and the rest
// for validation, random windows drawn on the GPU, AdamW with warmup and cosine decay, gradient
// clipping, estimates of both losses every --eval-every iterations, and a sample of text at the end.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Device } from '../../device/device';
import { manualSeed } from '../../random/philox';
import { saveCharLm } from '../../train/charlm-checkpoint';
import { CharVocab } from '../../train/data/char-vocab';
import { Generator } from '../../train/generate';
import { LanguageModelTrainer } from '../../train/lm-trainer';
import { GPT } from '../../train/nn/gpt';
import { AdamW } from '../../train/optim/adam';
import type { ParsedOptions } from '../args';
import { writeFileAtomic } from '../files';
import { formatDuration } from '../progress';

export const SHIPPED_SHAKESPEARE = fileURLToPath(new URL('../data/tinyshakespeare/input.txt', import.meta.url));

export async function trainCharlmCommand(device: Device, options: ParsedOptions): Promise<void> {
  const path = String(options['data'] ?? SHIPPED_SHAKESPEARE);
  const text = await readFile(path, 'utf8').catch((e: Error) => {
    throw new Error(`cannot read the text ${path}: ${e.message}`);
  });
  const vocab = CharVocab.fromText(text);
  const ids = vocab.encode(text);
  const split = Math.floor(ids.length * 0.9);
  const num = (name: string): number => Number(options[name]);
  const [iters, blockSize, batchSize, lr] = [num('iters'), num('block'), num('batch-size'), num('lr')];
  const seed = num('seed');
  manualSeed(seed);
  const model = new GPT({
    vocabSize: vocab.size,
    blockSize,
    nLayer: num('layers'),
    nHead: num('heads'),
    nEmbd: num('embd'),
    dropout: num('dropout'),
    bias: false,
  });
  const optimizer = new AdamW({ lr, betas: [0.9, 0.99], weightDecay: 0.1 });
  const trainer = new LanguageModelTrainer(
    device,
    {
      model,
      optimizer,
      batchSize,
      blockSize,
      schedule: { kind: 'cosine', lr, warmup: num('warmup'), minLr: num('min-lr'), decaySteps: iters },
      gradClip: 1,
      seed,
      deterministic: options['deterministic'] === true,
    },
    { train: ids.subarray(0, split), val: ids.subarray(split) },
  );
  const params = model.parameters().reduce((n, p) => n + p.size, 0);
  console.log(
    `charlm: ${ids.length} characters (${vocab.size} distinct) of ${path}, ${split} for training; GPT ${num('layers')} layers, ${num('heads')} heads, ${num('embd')} wide, block ${blockSize} ` +
      `(${(params / 1e6).toFixed(2)}M parameters) on ${device.adapter.backend}; AdamW lr ${lr} (warmup ${num('warmup')}, cosine to ${num('min-lr')}), batch ${batchSize}, ${iters} iterations, seed ${seed}`,
  );
  const started = performance.now();
  const save = options['save'] !== undefined ? String(options['save']) : null;
  const result = await trainer.fit(iters, {
    reportEvery: num('report-every'),
    evalEvery: num('eval-every'),
    evalIters: num('eval-iters'),
    onProgress: (p) => {
      const elapsed = (performance.now() - started) / 1000;
      const left = (elapsed / p.iteration) * (p.iterations - p.iteration);
      console.log(
        `iter ${p.iteration}/${p.iterations}: train loss ${p.loss.toFixed(4)}, ${p.tokensPerSecond.toFixed(0)} tokens/s, ${formatDuration(elapsed)}<${formatDuration(left)}`,
      );
    },
    onEval: async (e) => {
      console.log(`iter ${e.iteration}: estimated train loss ${e.train.toFixed(4)}, val loss ${e.val.toFixed(4)}`);
      if (save) await writeFileAtomic(save, await saveCharLm(model, vocab, { iteration: e.iteration, trainLoss: e.train, valLoss: e.val }));
    },
  });
  console.log(
    `done: ${iters} iterations in ${formatDuration((performance.now() - started) / 1000)}, ${result.tokensPerSecond.toFixed(0)} tokens/s; val loss ${result.final.val.toFixed(4)}` +
      (save ? `; saved ${save}` : ''),
  );
  const samples = num('sample-tokens');
  if (samples > 0) {
    const out = await new Generator(device, model).generate(vocab.encode('\n'), { tokens: samples, temperature: 0.8, topK: 200, seed });
    console.log(`sample (temperature 0.8, top-k 200):\n${vocab.decode(out.subarray(1))}`);
  }
}
