// Where `kiln train mnist` and `kiln eval mnist` find their images: the MNIST files shipped in the
// package's data/mnist (or --data DIR), or Debian's Fashion-MNIST with --dataset fashion.
import { fileURLToPath } from 'node:url';
import type { Dataset } from '../../train/data/dataset';
import { MNIST_NETS, mnistDataset, type MnistNetName, type MnistNetWidths } from '../../train/recipes/mnist';
import { positiveInteger, UsageError, type OptionSpec, type ParsedOptions } from '../args';
import { readIdxFolder } from '../files';
import { FASHION_DIR } from './train-softmax';

/** data/mnist of the package (dist/cli.js sits one folder below the root). */
export const SHIPPED_MNIST = fileURLToPath(new URL('../data/mnist', import.meta.url));

export const dataOptions: Record<string, OptionSpec> = {
  dataset: { type: 'string', default: 'mnist', help: 'mnist (the shipped files) or fashion (Fashion-MNIST from Debian)' },
  data: { type: 'string', help: `folder with the four IDX files (default ${'data/mnist'} of the package, or ${FASHION_DIR})` },
  net: { type: 'string', default: 'full', help: `full (conv 32, 64, fc 128: the seed's net) or narrow (conv 8, 16, fc 64)` },
  'test-limit': { type: 'number', help: 'evaluate on the first N test images only' },
};

export function netWidths(options: ParsedOptions): MnistNetWidths {
  const name = String(options['net'] ?? 'full');
  if (!(name in MNIST_NETS)) throw new UsageError(`--net must be one of ${Object.keys(MNIST_NETS).join(', ')}, got '${name}'`);
  return MNIST_NETS[name as MnistNetName];
}

export async function loadMnist(options: ParsedOptions): Promise<{ label: string; train: Dataset; test: Dataset }> {
  const kind = String(options['dataset'] ?? 'mnist');
  if (kind !== 'mnist' && kind !== 'fashion') throw new UsageError(`--dataset must be mnist or fashion, got '${kind}'`);
  const dir = options['data'] !== undefined ? String(options['data']) : kind === 'fashion' ? FASHION_DIR : SHIPPED_MNIST;
  const files = await readIdxFolder(dir).catch((e: Error) => {
    const hint = kind === 'fashion' ? "Fashion-MNIST is in Debian's package dataset-fashion-mnist" : 'kiln data mnist --download DIR fetches the official files';
    throw new Error(`${e.message}\n  (${hint}; --data DIR points elsewhere)`);
  });
  const label = kind === 'fashion' ? 'Fashion-MNIST' : 'MNIST';
  let train = await mnistDataset(`${kind}-train`, files.trainImages, files.trainLabels);
  let test = await mnistDataset(`${kind}-test`, files.testImages, files.testLabels);
  if (options['limit'] !== undefined) train = train.take(positiveInteger('limit', options['limit']));
  if (options['test-limit'] !== undefined) test = test.take(positiveInteger('test-limit', options['test-limit']));
  return { label, train, test };
}

/** The seed's test line: `Test set: Average loss: 0.0466, Accuracy: 9846/10000 (98%)`. */
export function testLine(loss: number, accuracy: number, count: number): string {
  const correct = Math.round(accuracy * count);
  return `Test set: Average loss: ${loss.toFixed(4)}, Accuracy: ${correct}/${count} (${(100 * accuracy).toFixed(2)}%)`;
}
