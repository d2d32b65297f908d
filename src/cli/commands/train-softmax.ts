import type { Device } from '../../device/device';
import { imageDataset, setupSoftmax } from '../../train/recipes/softmax';
import type { ParsedOptions } from '../args';
import { readIdxFolder } from '../files';
import { ProgressBar } from '../progress';

export const FASHION_DIR = '/usr/share/datasets/fashion-mnist';

export async function trainSoftmaxCommand(device: Device, options: ParsedOptions): Promise<void> {
  const dir = String(options['data'] ?? FASHION_DIR);
  const epochs = Number(options['epochs'] ?? 10);
  const batchSize = Number(options['batch-size'] ?? 256);
  const files = await readIdxFolder(dir).catch((e: Error) => {
    throw new Error(`${e.message}\n  Fashion-MNIST is in Debian's package dataset-fashion-mnist (apt-get install dataset-fashion-mnist), or pass --data DIR`);
  });
  let train = await imageDataset('fashion-train', files.trainImages, files.trainLabels);
  const test = await imageDataset('fashion-test', files.testImages, files.testLabels);
  if (options['limit'] !== undefined) train = train.take(Number(options['limit']));
  console.log(
    `softmax regression on Fashion-MNIST: ${train.count} training and ${test.count} test images; flatten 784 -> 10, cross-entropy, SGD lr ${options['lr'] ?? 0.1}, batch ${batchSize}`,
  );
  const { trainer } = setupSoftmax(device, { lr: Number(options['lr'] ?? 0.1), batchSize, seed: Number(options['seed'] ?? 0) });
  const bar = new ProgressBar('train', 'images');
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const [result] = await trainer.fit(train, { epochs: 1, onProgress: (p) => bar.update({ ...p, epoch, epochs }) });
    const trainEval = await trainer.evaluate(train, { batchSize: 1000 });
    const testEval = await trainer.evaluate(test, { batchSize: 1000 });
    console.log(
      `epoch ${epoch}: train loss ${result!.loss.toFixed(4)}, train acc ${trainEval.accuracy!.toFixed(4)}, test loss ${testEval.loss.toFixed(4)}, test acc ${testEval.accuracy!.toFixed(4)} (${result!.seconds.toFixed(1)} s, ${(train.count / result!.seconds).toFixed(0)} images/s)`,
    );
  }
}
