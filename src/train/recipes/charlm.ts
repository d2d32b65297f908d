// nanoGPT's shakespeare_char recipe, as `kiln train charlm`, the bench's charlm row and the demo page
// set it up: a character vocabulary from the text, the first 90% of its characters for training and
// the rest for validation, nanoGPT's GPT without biases, AdamW (betas 0.9/0.99, weight decay 0.1 on
// matrices), linear warmup then cosine decay to minLr over the run's iterations, and gradient
// clipping at norm 1. The defaults are the recipe's (4 layers, 4 heads, 128 wide, block 64, batch 12,
// lr 1e-3, 100 warmup iterations, min lr 1e-4, 2,000 iterations, dropout 0).
import type { Device } from '../../device/device';
import { manualSeed } from '../../random/philox';
import { CharVocab } from '../data/char-vocab';
import { LanguageModelTrainer } from '../lm-trainer';
import type { Precision } from '../precision';
import { GPT } from '../nn/gpt';
import { AdamW } from '../optim/adam';

export interface CharlmSettings {
  layers: number;
  heads: number;
  embd: number;
  block: number;
  batchSize: number;
  iters: number;
  lr: number;
  warmup: number;
  minLr: number;
  dropout: number;
  seed: number;
  /** Default kernel forms, untuned. */
  deterministic: boolean;
  /** LmTrainerConfig.precision. */
  precision: Precision;
}

export const CHARLM_RECIPE: CharlmSettings = {
  layers: 4,
  heads: 4,
  embd: 128,
  block: 64,
  batchSize: 12,
  iters: 2000,
  lr: 1e-3,
  warmup: 100,
  minLr: 1e-4,
  dropout: 0,
  seed: 0,
  deterministic: false,
  precision: 'f32',
};

export interface Charlm {
  vocab: CharVocab;
  /** The text as token ids, and where the validation split starts. */
  ids: Int32Array;
  split: number;
  model: GPT;
  trainer: LanguageModelTrainer;
}

/** The recipe on `text` with some settings changed; seeds the initialisation with `seed` first. */
export function setupCharlm(device: Device, text: string, changes: Partial<CharlmSettings> = {}): Charlm {
  const s = { ...CHARLM_RECIPE, ...changes };
  const vocab = CharVocab.fromText(text);
  const ids = vocab.encode(text);
  const split = Math.floor(ids.length * 0.9);
  manualSeed(s.seed);
  const model = new GPT({ vocabSize: vocab.size, blockSize: s.block, nLayer: s.layers, nHead: s.heads, nEmbd: s.embd, dropout: s.dropout, bias: false });
  const trainer = new LanguageModelTrainer(
    device,
    {
      model,
      optimizer: new AdamW({ lr: s.lr, betas: [0.9, 0.99], weightDecay: 0.1 }),
      batchSize: s.batchSize,
      blockSize: s.block,
      schedule: { kind: 'cosine', lr: s.lr, warmup: s.warmup, minLr: s.minLr, decaySteps: s.iters },
      gradClip: 1,
      seed: s.seed,
      deterministic: s.deterministic,
      precision: s.precision,
    },
    { train: ids.subarray(0, split), val: ids.subarray(split) },
  );
  return { vocab, ids, split, model, trainer };
}
