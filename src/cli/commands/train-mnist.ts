import type { Device } from '../../device/device';
import { manualSeed } from '../../random/philox';
import { mnistTrainFlops, setupMnist } from '../../train/recipes/mnist';
import { TrainingStopped } from '../../train/trainer';
import { decodeTrainingFile } from '../../train/training-state';
import { AdapterFallback } from '../adapter-pick';
import { precisionNote, precisionOf } from '../precision-option';
import type { ParsedOptions } from '../args';
import { loadTrainingCheckpoint, saveTrainingCheckpoint } from '../checkpoint-dir';
import { saveCheckpointFile } from '../checkpoint-files';
import { ProgressBar } from '../progress';
import { resumedOptions, runSettings } from '../resume-options';
import { STOPPED_EXIT_CODE, watchStopSignals } from '../stop-signal';
import { loadMnist, netWidths, testLine } from './mnist-data';

/** The flags a resumed run must share with the run it continues (--epochs may differ: it extends or ends the run). */
const RUN_FLAGS = ['net', 'lr', 'momentum', 'batch-size', 'dataset', 'data', 'limit', 'test-limit', 'seed', 'precision'] as const;

export async function trainMnistCommand(device: Device, given: ParsedOptions, explicit: ReadonlySet<string> = new Set()): Promise<void> {
  let options = given;
  const resumeDir = options['resume'] !== undefined ? String(options['resume']) : null;
  const resumed = resumeDir !== null ? await loadTrainingCheckpoint(resumeDir) : null;
  let savedEpochs: number | null = null;
  if (resumed) {
    // A resumed run takes the settings of the run it continues; a flag given now must agree with them.
    const saved = decodeTrainingFile(resumed.state.training, `${resumed.folder}/training.safetensors`).meta.settings;
    options = resumedOptions(options, explicit, RUN_FLAGS, saved, resumed.folder);
    savedEpochs = typeof saved['epochs'] === 'number' ? saved['epochs'] : null;
    options = { ...options, epochs: explicit.has('epochs') || savedEpochs === null ? options['epochs'] : savedEpochs };
  }
  const epochs = Number(options['epochs']);
  const batchSize = Number(options['batch-size']);
  const seed = Number(options['seed'] ?? 0);
  const widths = netWidths(options);
  const checkpointDir = options['checkpoint-dir'] !== undefined ? String(options['checkpoint-dir']) : resumeDir;
  const { label, train, test } = await loadMnist(options, ['train', 'test']);
  manualSeed(seed);
  const { model, trainer } = setupMnist(device, {
    lr: Number(options['lr']),
    momentum: Number(options['momentum']),
    batchSize,
    seed,
    net: widths,
    deterministic: options['deterministic'] === true,
    precision: precisionOf(options),
  });
  console.log(
    `${label} CNN (conv ${widths.conv1}, conv ${widths.conv2}, fc ${widths.hidden}) on ${device.adapter.backend + (device.adapter.description ? ` (${device.adapter.description})` : '')}: ${train.count} training and ${test.count} test images, ` +
      `SGD lr ${options['lr']} momentum ${options['momentum']}, batch ${batchSize}, seed ${seed}${precisionNote(precisionOf(options))}`,
  );
  const settings = runSettings(options, RUN_FLAGS);
  if (resumed) {
    const at = trainer.loadState(resumed.state, { ...settings, epochs: savedEpochs }, resumed.folder);
    console.log(`resuming from ${resumed.folder}: ${at.epoch} epoch(s) done${at.step > 0 ? `, then step ${at.step} of epoch ${at.epoch + 1}` : ''}`);
  }
  const batch = Math.min(batchSize, train.count);
  if (device.adapter.backend === 'llvmpipe' && !trainer.fits('train', train, batch)) {
    throw new AdapterFallback(
      'swiftshader',
      `a training step at batch ${batch} has a tensor larger than llvmpipe's ${device.limits['maxStorageBufferBindingSize']}-byte binding limit`,
    );
  }
  const started = performance.now();
  const compiled = await trainer.program('train', train, batch);
  const s = compiled.stats;
  const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;
  console.log(
    `compiled the training step in ${((performance.now() - started) / 1000).toFixed(1)} s: ${s.dispatchesPerStep} dispatches, ` +
      `peak GPU memory ${mib(s.peakBytes)} = variables ${mib(s.variableBytes)} (parameters, momentum, dataset) + ` +
      `intermediates ${mib(s.intermediateBytes)} in ${s.arenaBytes.length} buffers (largest live set ${mib(s.largestLiveBytes)}) + ` +
      `inputs, constants and uniforms ${mib(s.inputBytes + s.constantBytes + s.uniformBytes)}`,
  );
  // With a checkpoint folder, Ctrl-C asks for a checkpoint at the next group of steps (src/cli/stop-signal.ts).
  const stop = checkpointDir !== null ? watchStopSignals() : null;
  const bar = new ProgressBar('train', 'images');
  /** The size of the last checkpoint and the time it took to write (the state is read from the GPU in fit, before). */
  const lastCheckpoint: { value: { bytes: number; seconds: number } | null } = { value: null };
  const flops = mnistTrainFlops(widths);
  const checkpointing =
    checkpointDir !== null
      ? {
          settings: { ...settings, epochs },
          ...(options['checkpoint-every'] !== undefined ? { checkpointEvery: Number(options['checkpoint-every']) } : {}),
          onCheckpoint: async (state: Parameters<typeof saveTrainingCheckpoint>[1], at: { epoch: number; step: number }) => {
            const begun = performance.now();
            await saveTrainingCheckpoint(checkpointDir, state, at);
            lastCheckpoint.value = { bytes: state.model.length + state.training.length, seconds: (performance.now() - begun) / 1000 };
          },
          shouldStop: () => stop?.asked() === true,
        }
      : {};
  const first = trainer.progress;
  if (first.epoch >= epochs) console.log(`the run already has its ${epochs} epoch(s)`);
  try {
    for (let epoch = first.epoch + 1; epoch <= epochs; epoch++) {
      const [result] = await trainer.fit(train, { epochs: 1, onProgress: (p) => bar.update({ ...p, epoch, epochs }), ...checkpointing });
      const rate = train.count / result!.seconds;
      console.log(
        `epoch ${epoch}: train loss ${result!.loss.toFixed(4)}, ${result!.seconds.toFixed(1)} s, ${rate.toFixed(1)} images/s (${((rate * flops) / 1e9).toFixed(2)} GFLOP/s)` +
          (lastCheckpoint.value
            ? `; checkpoint of ${(lastCheckpoint.value.bytes / 1e6).toFixed(1)} MB written in ${lastCheckpoint.value.seconds.toFixed(2)} s`
            : ''),
      );
      const evaluation = await trainer.evaluate(test, { batchSize: 1000 });
      console.log(testLine(evaluation.loss, evaluation.accuracy!, test.count));
      if (stop?.asked() && epoch < epochs) throw new TrainingStopped(trainer.progress);
    }
  } catch (error) {
    if (!(error instanceof TrainingStopped) || checkpointDir === null) throw error;
    const { epoch, step } = error.at;
    console.log(
      `stopped after ${epoch} epoch(s)${step > 0 ? ` and step ${step} of epoch ${epoch + 1}` : ''}; checkpoint in ${checkpointDir} (continue with --resume ${checkpointDir})`,
    );
    process.exit(STOPPED_EXIT_CODE);
  }
  if (checkpointDir !== null) console.log(`checkpoint in ${checkpointDir}`);
  if (options['save'] !== undefined) {
    await saveCheckpointFile(model, String(options['save']));
    console.log(`saved ${options['save']}`);
  }
}
