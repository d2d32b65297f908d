// kiln train charlm: nanoGPT's shakespeare_char recipe (a character-level GPT) on the GPU, with
// LanguageModelTrainer: a character vocabulary from the text, the first 90% for training and the rest
// for validation, random windows drawn on the GPU, AdamW with warmup and cosine decay, gradient
// clipping, estimates of both losses every --eval-every iterations, and a sample of text at the end.
// With --checkpoint-dir the run writes training checkpoints (at each estimate, every
// --checkpoint-every iterations, and on Ctrl-C); --resume DIR continues one to the same losses.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Device } from '../../device/device';
import { saveCharLm } from '../../train/charlm-checkpoint';
import { Generator } from '../../train/generate';
import { LmTrainingStopped } from '../../train/lm-trainer';
import { decodeLmTrainingFile } from '../../train/lm-training-state';
import { setupCharlm } from '../../train/recipes/charlm';
import { precisionNote, precisionOf } from '../precision-option';
import type { ParsedOptions } from '../args';
import { loadTrainingCheckpoint, saveTrainingCheckpoint } from '../checkpoint-dir';
import { writeFileAtomic } from '../files';
import { formatDuration } from '../progress';
import { resumedOptions, runSettings } from '../resume-options';
import { STOPPED_EXIT_CODE, watchStopSignals } from '../stop-signal';

export const SHIPPED_SHAKESPEARE = fileURLToPath(new URL('../data/tinyshakespeare/input.txt', import.meta.url));

/**
 * The flags a resumed run takes from the run it continues (and must agree with when given): the
 * model, the data, the schedule and the estimates' cadence and size (which draw validation windows).
 */
const RUN_FLAGS = [
  'layers',
  'heads',
  'embd',
  'block',
  'batch-size',
  'iters',
  'lr',
  'warmup',
  'min-lr',
  'dropout',
  'data',
  'seed',
  'eval-every',
  'eval-iters',
  'precision',
] as const;

export async function trainCharlmCommand(device: Device, given: ParsedOptions, explicit: ReadonlySet<string> = new Set()): Promise<void> {
  let options = given;
  const resumeDir = options['resume'] !== undefined ? String(options['resume']) : null;
  const resumed = resumeDir !== null ? await loadTrainingCheckpoint(resumeDir) : null;
  if (resumed) {
    const saved = decodeLmTrainingFile(resumed.state.training, `${resumed.folder}/training.safetensors`).meta.settings;
    options = resumedOptions(options, explicit, RUN_FLAGS, saved, resumed.folder);
  }
  const settings = runSettings(options, RUN_FLAGS);
  const path = String(options['data'] ?? SHIPPED_SHAKESPEARE);
  const text = await readFile(path, 'utf8').catch((e: Error) => {
    throw new Error(`cannot read the text ${path}: ${e.message}`);
  });
  const num = (name: string): number => Number(options[name]);
  const [iters, blockSize, batchSize, lr] = [num('iters'), num('block'), num('batch-size'), num('lr')];
  const seed = num('seed');
  const { vocab, ids, split, model, trainer } = setupCharlm(device, text, {
    layers: num('layers'),
    heads: num('heads'),
    embd: num('embd'),
    block: blockSize,
    batchSize,
    iters,
    lr,
    warmup: num('warmup'),
    minLr: num('min-lr'),
    dropout: num('dropout'),
    seed,
    deterministic: options['deterministic'] === true,
    precision: precisionOf(options),
  });
  const params = model.parameters().reduce((n, p) => n + p.size, 0);
  console.log(
    `charlm: ${ids.length} characters (${vocab.size} distinct) of ${path}, ${split} for training; GPT ${num('layers')} layers, ${num('heads')} heads, ${num('embd')} wide, block ${blockSize} ` +
      `(${(params / 1e6).toFixed(2)}M parameters) on ${device.adapter.backend}; AdamW lr ${lr} (warmup ${num('warmup')}, cosine to ${num('min-lr')}), batch ${batchSize}, ${iters} iterations, seed ${seed}${precisionNote(precisionOf(options))}`,
  );
  if (resumed) {
    const at = trainer.loadState(resumed.state, settings, resumed.folder);
    console.log(`resuming from ${resumed.folder}: ${at.iteration} iteration(s) done`);
  }
  const checkpointDir = options['checkpoint-dir'] !== undefined ? String(options['checkpoint-dir']) : resumeDir;
  const stop = checkpointDir !== null ? watchStopSignals() : null;
  const checkpoint = async (iteration: number): Promise<void> => {
    if (checkpointDir !== null) await saveTrainingCheckpoint(checkpointDir, await trainer.saveState(settings), { iteration });
  };
  const started = performance.now();
  const save = options['save'] !== undefined ? String(options['save']) : null;
  const left = iters - trainer.iterations;
  if (left <= 0) console.log(`the run already has its ${iters} iterations`);
  const everyEval = options['checkpoint-every'] === undefined;
  const result =
    left > 0
      ? await trainer
          .fit(left, {
            reportEvery: num('report-every'),
            evalEvery: num('eval-every'),
            evalIters: num('eval-iters'),
            ...(everyEval ? {} : { checkpointEvery: num('checkpoint-every') }),
            onCheckpoint: checkpoint,
            shouldStop: () => stop?.asked() === true,
            onProgress: (p) => {
              const elapsed = (performance.now() - started) / 1000;
              const rest = (elapsed / (p.iteration - (iters - left))) * (p.iterations - p.iteration);
              console.log(
                `iter ${p.iteration}/${p.iterations}: train loss ${p.loss.toFixed(4)}, ${p.tokensPerSecond.toFixed(0)} tokens/s, ${formatDuration(elapsed)}<${formatDuration(rest)}`,
              );
            },
            onEval: async (e) => {
              console.log(`iter ${e.iteration}: estimated train loss ${e.train.toFixed(4)}, val loss ${e.val.toFixed(4)}`);
              if (save) await writeFileAtomic(save, await saveCharLm(model, vocab, { iteration: e.iteration, trainLoss: e.train, valLoss: e.val }));
              if (everyEval && e.iteration < iters) await checkpoint(e.iteration);
            },
          })
          .catch((error: unknown) => {
            if (!(error instanceof LmTrainingStopped) || checkpointDir === null) throw error;
            console.log(`stopped after iteration ${error.iteration}; checkpoint in ${checkpointDir} (continue with --resume ${checkpointDir})`);
            process.exit(STOPPED_EXIT_CODE);
          })
      : null;
  if (checkpointDir !== null) await checkpoint(trainer.iterations);
  if (result)
    console.log(
      `done: ${iters} iterations in ${formatDuration((performance.now() - started) / 1000)}, ${result.tokensPerSecond.toFixed(0)} tokens/s; val loss ${result.final.val.toFixed(4)}` +
        (save ? `; saved ${save}` : '') +
        (checkpointDir !== null ? `; checkpoint in ${checkpointDir}` : ''),
    );
  const samples = num('sample-tokens');
  if (samples > 0) {
    const out = await new Generator(device, model).generate(vocab.encode('\n'), { tokens: samples, temperature: 0.8, topK: 200, seed });
    console.log(`sample (temperature 0.8, top-k 200):\n${vocab.decode(out.subarray(1))}`);
  }
}
