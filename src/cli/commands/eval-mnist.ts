import type { Device } from '../../device/device';
import { setupMnist } from '../../train/recipes/mnist';
import { UsageError, type ParsedOptions } from '../args';
import { loadCheckpointFile } from '../checkpoint-files';
import { loadMnist, netWidths, testLine } from './mnist-data';

export async function evalMnistCommand(device: Device, options: ParsedOptions): Promise<void> {
  if (options['load'] === undefined) throw new UsageError('kiln eval mnist needs --load FILE (a checkpoint saved by kiln train mnist --save)');
  const { label, test } = await loadMnist(options);
  const { model, trainer } = setupMnist(device, { net: netWidths(options) });
  await loadCheckpointFile(model, String(options['load']));
  const evaluation = await trainer.evaluate(test, { batchSize: Number(options['batch-size']) });
  console.log(`${label}, ${options['load']}:`);
  console.log(testLine(evaluation.loss, evaluation.accuracy!, test.count));
}
