// Where `kiln train mnist` and `kiln eval mnist` find their images: the MNIST files shipped in the
// package's data/mnist (or --data DIR), or Debian's Fashion-MNIST with --dataset fashion.
import { fileURLToPath } from 'node:url';
import type { Dataset } from '../../train/data/dataset';
import { MNIST_NETS, mnistDataset, type MnistNetName, type MnistNetWidths } from '../../train/recipes/mnist';
import { COUNT, type OptionSpec, type ParsedOptions } from '../args';
import { readIdxSplit } from '../files';
import { FASHION_DIR } from './train-softmax';

/** data/mnist of the package (dist/cli.js sits one folder below the root). */
export const SHIPPED_MNIST = fileURLToPath(new URL('../data/mnist', import.meta.url));

export const dataOptions = {
  dataset: { type: 'string', default: 'mnist', choices: ['mnist', 'fashion'], help: 'mnist (the shipped files) or fashion (Fashion-MNIST from Debian)' },
  data: { type: 'string', help: `folder with the four IDX files (default ${'data/mnist'} of the package, or ${FASHION_DIR})` },
  net: { type: 'string', default: 'full', choices: Object.keys(MNIST_NETS), help: `full (conv 32, 64, fc 128: the seed's net) or narrow (conv 8, 16, fc 64)` },
  'test-limit': { ...COUNT, help: 'evaluate on the first N test images only' },
} satisfies Record<string, OptionSpec>;

export function netWidths(options: ParsedOptions): MnistNetWidths {
  return MNIST_NETS[String(options['net'] ?? 'full') as MnistNetName];
}

type Split = 'train' | 'test';

/**
 * The MNIST-style dataset the options name, reading only the files of the splits asked for (`kiln
 * eval mnist` needs no training images).
 */
export async function loadMnist<S extends Split>(options: ParsedOptions, splits: readonly S[]): Promise<{ label: string } & Record<S, Dataset>> {
  const kind = String(options['dataset'] ?? 'mnist');
  const dir = options['data'] !== undefined ? String(options['data']) : kind === 'fashion' ? FASHION_DIR : SHIPPED_MNIST;
  const label = kind === 'fashion' ? 'Fashion-MNIST' : 'MNIST';
  const limits: Record<Split, unknown> = { train: options['limit'], test: options['test-limit'] };
  const loaded = await Promise.all(
    splits.map(async (split) => {
      const files = await readIdxSplit(dir, split).catch((e: Error) => {
        const hint =
          kind === 'fashion' ? "Fashion-MNIST is in Debian's package dataset-fashion-mnist" : 'kiln data mnist --download DIR fetches the official files';
        throw new Error(`${e.message}\n  (${hint}; --data DIR points elsewhere)`);
      });
      const data = await mnistDataset(`${kind}-${split}`, files.images, files.labels);
      const limit = limits[split];
      return [split, typeof limit === 'number' ? data.take(limit) : data] as const;
    }),
  );
  return { label, ...(Object.fromEntries(loaded) as Record<S, Dataset>) };
}

/** The seed's test line: `Test set: Average loss: 0.0466, Accuracy: 9846/10000 (98%)`. */
export function testLine(loss: number, accuracy: number, count: number): string {
  const correct = Math.round(accuracy * count);
  return `Test set: Average loss: ${loss.toFixed(4)}, Accuracy: ${correct}/${count} (${(100 * accuracy).toFixed(2)}%)`;
}
