// The classic PyTorch MNIST example: conv 1->32 3x3, relu, conv 32->64 3x3, relu, max_pool2d 2,
// dropout2d 0.25, flatten, fc 9216->128, relu, dropout 0.5, fc 128->10, log_softmax, nll_loss;
// SGD lr 0.025 momentum 0.9, batch 64 shuffled, inputs normalised with MNIST's mean and std, test
// loop at batch 1000. Parameter names are PyTorch's (conv1.weight ... fc2.bias), so checkpoints
// carry over. A narrow variant of the same layers fits the ~1 GFLOP/s of software adapters.
import type { Device } from '../../device/device';
import { nllLoss } from '../../ops/nll-loss';
import { Dataset } from '../data/dataset';
import { parseImagesAndLabels } from '../data/idx';
import { Flatten, LogSoftmax, ReLU } from '../nn/activations';
import { Conv2d } from '../nn/conv2d';
import { Dropout, Dropout2d } from '../nn/dropout';
import { Linear } from '../nn/linear';
import { MaxPool2d } from '../nn/pooling';
import { Sequential } from '../nn/sequential';
import { SGD } from '../optim/sgd';
import type { Precision } from '../precision';
import { Trainer } from '../trainer';

/** transforms.Normalize((0.1307,), (0.3081,)) after ToTensor's / 255. */
export const MNIST_MEAN = 0.1307;
export const MNIST_STD = 0.3081;

export interface MnistNetWidths {
  conv1: number;
  conv2: number;
  hidden: number;
}

/** The seed's net, and the narrow one CI trains on a software adapter (about 1/12 of the FLOPs). */
export const MNIST_NETS = {
  full: { conv1: 32, conv2: 64, hidden: 128 },
  narrow: { conv1: 8, conv2: 16, hidden: 64 },
} as const satisfies Record<string, MnistNetWidths>;

export type MnistNetName = keyof typeof MNIST_NETS;

/** Training FLOPs per image (forward + both backward GEMMs of every conv and linear layer). */
export function mnistTrainFlops(w: MnistNetWidths): number {
  const conv1 = 26 * 26 * w.conv1 * 9;
  const conv2 = 24 * 24 * w.conv2 * w.conv1 * 9;
  const fc1 = 12 * 12 * w.conv2 * w.hidden;
  const fc2 = w.hidden * 10;
  // conv1 needs no input gradient; every other layer costs 3 GEMMs of 2 FLOPs per multiply-add.
  return 2 * (2 * conv1 + 3 * (conv2 + fc1 + fc2));
}

export function mnistNet(widths: MnistNetWidths = MNIST_NETS.full): Sequential {
  const flat = 12 * 12 * widths.conv2;
  return new Sequential({
    conv1: new Conv2d(1, widths.conv1, 3),
    relu1: new ReLU(),
    conv2: new Conv2d(widths.conv1, widths.conv2, 3),
    relu2: new ReLU(),
    pool: new MaxPool2d(2),
    dropout1: new Dropout2d(0.25),
    flatten: new Flatten(),
    fc1: new Linear(flat, widths.hidden),
    relu3: new ReLU(),
    dropout2: new Dropout(0.5),
    fc2: new Linear(widths.hidden, 10),
    logSoftmax: new LogSoftmax(1),
  });
}

/** MNIST-style images (IDX bytes, gzip or raw) as a GPU dataset normalised as the seed does. */
export async function mnistDataset(name: string, images: Uint8Array, labels: Uint8Array): Promise<Dataset> {
  const parsed = await parseImagesAndLabels(images, labels, { images: `${name} images`, labels: `${name} labels` });
  if (parsed.rows !== 28 || parsed.cols !== 28) throw new RangeError(`${name}: the net takes 28x28 images, these are ${parsed.rows}x${parsed.cols}`);
  return new Dataset({
    name,
    features: parsed.images,
    featureShape: [1, 28, 28],
    targets: Int32Array.from(parsed.labels),
    classes: 10,
    // (pixel / 255 - mean) / std as one multiply-add in the gather kernel.
    scale: 1 / (255 * MNIST_STD),
    shift: -MNIST_MEAN / MNIST_STD,
  });
}

export interface MnistOptions {
  lr?: number;
  momentum?: number;
  batchSize?: number;
  seed?: number;
  net?: MnistNetWidths;
  /** Default kernel forms whatever the tuning cache holds (TrainerConfig.deterministic). */
  deterministic?: boolean;
  /** TrainerConfig.precision. */
  precision?: Precision;
}

/** The net, SGD with momentum and nll_loss of the net's log_softmax, as one trainer. */
export function setupMnist(device: Device, options: MnistOptions = {}): { model: Sequential; trainer: Trainer } {
  const model = mnistNet(options.net);
  const trainer = new Trainer(device, {
    model,
    loss: nllLoss,
    optimizer: new SGD({ lr: options.lr ?? 0.025, momentum: options.momentum ?? 0.9 }),
    batchSize: options.batchSize ?? 64,
    seed: options.seed ?? 0,
    ...(options.deterministic ? { deterministic: true } : {}),
    ...(options.precision ? { precision: options.precision } : {}),
  });
  return { model, trainer };
}
