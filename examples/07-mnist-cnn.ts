// The PyTorch MNIST example's CNN: conv 1->32 3x3, relu, conv 32->64 3x3, relu, max_pool2d 2,
// dropout2d 0.25, flatten, fc 9216->128, relu, dropout 0.5, fc 128->10, log_softmax, nll_loss; SGD lr
// 0.025 momentum 0.9, batch 64 shuffled, pixels normalised with mean 0.1307 and std 0.3081.
// The first argument is the folder of the four IDX files (default: the package's data/mnist).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { compile, Dataset, loss, manualSeed, nn, openDevice, optim, parseImagesAndLabels } from 'kiln-webgpu';

const dir = process.argv[2] ?? 'data/mnist';
const epochs = Number(process.env['EPOCHS'] ?? 2);
const limit = Number(process.env['LIMIT'] ?? Infinity);

async function load(name: string, images: string, labels: string): Promise<Dataset> {
  const files = await Promise.all([readFile(join(dir, images)), readFile(join(dir, labels))]);
  const parsed = await parseImagesAndLabels(new Uint8Array(files[0]), new Uint8Array(files[1]));
  const all = new Dataset({
    name,
    features: parsed.images,
    featureShape: [1, 28, 28],
    targets: Int32Array.from(parsed.labels),
    classes: 10,
    scale: 1 / (255 * 0.3081),
    shift: -0.1307 / 0.3081,
  });
  return all.take(Math.min(limit, all.count));
}

manualSeed(0);
const device = await openDevice();
const [train, test] = await Promise.all([
  load('mnist-train', 'train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz'),
  load('mnist-test', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'),
]);
const model = nn.sequential({
  conv1: nn.conv2d(1, 32, 3),
  relu1: nn.relu(),
  conv2: nn.conv2d(32, 64, 3),
  relu2: nn.relu(),
  pool: nn.maxPool2d(2),
  dropout1: nn.dropout2d(0.25),
  flatten: nn.flatten(),
  fc1: nn.linear(9216, 128),
  relu3: nn.relu(),
  dropout2: nn.dropout(0.5),
  fc2: nn.linear(128, 10),
  logSoftmax: nn.logSoftmax(1),
});
const trainer = compile(device, { model, loss: loss.nll, optimizer: optim.sgd({ lr: 0.025, momentum: 0.9 }), batchSize: 64, seed: 0 });
for (let epoch = 1; epoch <= epochs; epoch++) {
  const [result] = await trainer.fit(train, { epochs: 1 });
  const { loss: testLoss, accuracy } = await trainer.evaluate(test, { batchSize: 1000 });
  console.log(`epoch ${epoch}: train loss ${result!.loss.toFixed(4)}; test loss ${testLoss.toFixed(4)}, accuracy ${(100 * accuracy!).toFixed(2)}%`);
}
