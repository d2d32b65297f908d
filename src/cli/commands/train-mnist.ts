import type { Device } from '../../device/device';
import { manualSeed } from '../../random/philox';
import { mnistTrainFlops, setupMnist } from '../../train/recipes/mnist';
import { AdapterFallback } from '../adapter-pick';
import type { ParsedOptions } from '../args';
import { saveCheckpointFile } from '../checkpoint-files';
import { ProgressBar } from '../progress';
import { loadMnist, netWidths, testLine } from './mnist-data';

export async function trainMnistCommand(device: Device, options: ParsedOptions): Promise<void> {
  const epochs = Number(options['epochs']);
  const batchSize = Number(options['batch-size']);
  const seed = Number(options['seed'] ?? 0);
  const widths = netWidths(options);
  const { label, train, test } = await loadMnist(options, ['train', 'test']);
  manualSeed(seed);
  const { model, trainer } = setupMnist(device, { lr: Number(options['lr']), momentum: Number(options['momentum']), batchSize, seed, net: widths });
  console.log(
    `${label} CNN (conv ${widths.conv1}, conv ${widths.conv2}, fc ${widths.hidden}) on ${device.adapter.backend + (device.adapter.description ? ` (${device.adapter.description})` : '')}: ${train.count} training and ${test.count} test images, ` +
      `SGD lr ${options['lr']} momentum ${options['momentum']}, batch ${batchSize}, seed ${seed}`,
  );
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
  const bar = new ProgressBar('train', 'images');
  const flops = mnistTrainFlops(widths);
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const [result] = await trainer.fit(train, { epochs: 1, onProgress: (p) => bar.update({ ...p, epoch, epochs }) });
    const rate = train.count / result!.seconds;
    console.log(
      `epoch ${epoch}: train loss ${result!.loss.toFixed(4)}, ${result!.seconds.toFixed(1)} s, ${rate.toFixed(1)} images/s (${((rate * flops) / 1e9).toFixed(2)} GFLOP/s)`,
    );
    const evaluation = await trainer.evaluate(test, { batchSize: 1000 });
    console.log(testLine(evaluation.loss, evaluation.accuracy!, test.count));
  }
  if (options['save'] !== undefined) {
    await saveCheckpointFile(model, String(options['save']));
    console.log(`saved ${options['save']}`);
  }
}
