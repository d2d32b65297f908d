import type { Device } from '../../device/device';
import { loadCheckpoint } from '../../train/checkpoint';
import { MNIST_NETS, setupMnist } from '../../train/recipes/mnist';
import { netOfCheckpoint } from '../../train/recipes/mnist-checkpoint';
import type { ParsedOptions } from '../args';
import { readBytes } from '../files';
import { loadMnist, netWidths, testLine } from './mnist-data';

export async function evalMnistCommand(device: Device, options: ParsedOptions): Promise<void> {
  const file = String(options['load']);
  const bytes = await readBytes(file);
  // Without --net, the checkpoint says which net it holds (by conv1.weight's shape).
  const widths = options['net'] !== undefined ? netWidths(options) : MNIST_NETS[netOfCheckpoint(bytes, file)];
  const { label, test } = await loadMnist(options, ['test']);
  const { model, trainer } = setupMnist(device, { net: widths });
  loadCheckpoint(model, bytes, file);
  const evaluation = await trainer.evaluate(test, { batchSize: Number(options['batch-size']) });
  console.log(`${label}, ${file} (conv ${widths.conv1}, conv ${widths.conv2}, fc ${widths.hidden}):`);
  console.log(testLine(evaluation.loss, evaluation.accuracy!, test.count));
}
