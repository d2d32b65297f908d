// Softmax regression on Fashion-MNIST (d2l): flatten 784 -> 10, cross-entropy, SGD lr 0.1, batch 256.
// Debian's dataset-fashion-mnist installs the files; another folder can be given as the first argument.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { compile, Dataset, loss, nn, openDevice, optim, parseImagesAndLabels } from 'kiln-webgpu';

const dir = process.argv[2] ?? '/usr/share/datasets/fashion-mnist';
const epochs = Number(process.env['EPOCHS'] ?? 10);

async function load(name: string, images: string, labels: string): Promise<Dataset> {
  const files = await Promise.all([readFile(join(dir, images)), readFile(join(dir, labels))]);
  const parsed = await parseImagesAndLabels(new Uint8Array(files[0]), new Uint8Array(files[1]));
  return new Dataset({ name, features: parsed.images, featureShape: [1, 28, 28], targets: Int32Array.from(parsed.labels), classes: 10, scale: 1 / 255 });
}

const device = await openDevice();
const train = await load('fashion-train', 'train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz');
const test = await load('fashion-test', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz');
const model = nn.sequential({ flatten: nn.flatten(), linear: nn.linear(784, 10) });
const trainer = compile(device, { model, loss: loss.crossEntropy, optimizer: optim.sgd({ lr: 0.1 }), batchSize: 256 });
for (let epoch = 1; epoch <= epochs; epoch++) {
  const [result] = await trainer.fit(train, { epochs: 1 });
  const { accuracy } = await trainer.evaluate(test, { batchSize: 1000 });
  console.log(`epoch ${epoch}: train loss ${result!.loss.toFixed(4)}, test accuracy ${accuracy!.toFixed(4)}`);
}
