// Softmax regression on Fashion-MNIST as in the d2l chapter: flatten 784 -> 10, cross-entropy,
// SGD lr 0.1, batch 256, 10 epochs, inputs scaled to [0, 1].
import type { Device } from '../../device/device';
import { crossEntropy } from '../../ops/cross-entropy';
import { Dataset } from '../data/dataset';
import { parseImagesAndLabels } from '../data/idx';
import { Flatten } from '../nn/activations';
import { normal } from '../nn/init';
import { Linear } from '../nn/linear';
import { Sequential } from '../nn/sequential';
import { SGD } from '../optim/sgd';
import { Trainer } from '../trainer';

export const FASHION_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

/** Standard IDX file names, shared by MNIST and Fashion-MNIST. */
export const IDX_FILES = {
  trainImages: 'train-images-idx3-ubyte.gz',
  trainLabels: 'train-labels-idx1-ubyte.gz',
  testImages: 't10k-images-idx3-ubyte.gz',
  testLabels: 't10k-labels-idx1-ubyte.gz',
} as const;

/** A dataset of 28x28 images from IDX bytes, read as pixel * scale + shift. */
export async function imageDataset(name: string, images: Uint8Array, labels: Uint8Array, options: { scale?: number; shift?: number } = {}): Promise<Dataset> {
  const parsed = await parseImagesAndLabels(images, labels, { images: `${name} images`, labels: `${name} labels` });
  return new Dataset({
    name,
    features: parsed.images,
    featureShape: [1, parsed.rows, parsed.cols],
    targets: Int32Array.from(parsed.labels),
    classes: 10,
    scale: options.scale ?? 1 / 255,
    shift: options.shift ?? 0,
  });
}

export interface SoftmaxOptions {
  lr?: number;
  batchSize?: number;
  seed?: number;
}

export function setupSoftmax(device: Device, options: SoftmaxOptions = {}): { model: Sequential; trainer: Trainer } {
  const linear = new Linear(784, 10);
  // d2l: nn.init.normal_(weight, std=0.01).
  linear.weight.assign(normal(784 * 10, 0, 0.01));
  const model = new Sequential({ flatten: new Flatten(), linear });
  const trainer = new Trainer(device, {
    model,
    loss: crossEntropy,
    optimizer: new SGD({ lr: options.lr ?? 0.1 }),
    batchSize: options.batchSize ?? 256,
    seed: options.seed ?? 0,
  });
  return { model, trainer };
}
