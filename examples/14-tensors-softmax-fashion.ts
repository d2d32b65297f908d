// d2l's softmax regression from scratch on Fashion-MNIST with tensors: W ~ N(0, 0.01²) of 784 x 10,
// softmax written out (exp / row sums), cross-entropy by hand (-log of the true class's probability,
// picked with a one-hot mask), accuracy from argmax, minibatch SGD lr 0.1, batch 256.
// Debian's dataset-fashion-mnist installs the files; another folder can be given as the first argument.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { markStep, noGrad, openDevice, parseImagesAndLabels, randn, tensor, zeros, type Tensor } from 'kiln-webgpu';

const dir = process.argv[2] ?? '/usr/share/datasets/fashion-mnist';
const epochs = Number(process.env['EPOCHS'] ?? 10);
const [classes, pixels, batchSize, lr] = [10, 784, 256, 0.1];

async function load(images: string, labels: string): Promise<{ x: Float32Array; y: Int32Array; n: number }> {
  const files = await Promise.all([readFile(join(dir, images)), readFile(join(dir, labels))]);
  const parsed = await parseImagesAndLabels(new Uint8Array(files[0]), new Uint8Array(files[1]));
  return { x: Float32Array.from(parsed.images, (v) => v / 255), y: Int32Array.from(parsed.labels), n: parsed.labels.length };
}

/** Rows start..end as tensors: images [rows, 784], labels (i32) and their one-hot rows. */
function batch(data: { x: Float32Array; y: Int32Array }, start: number, end: number): { x: Tensor; y: Tensor; oneHot: Tensor } {
  const hot = new Float32Array((end - start) * classes);
  for (let i = start; i < end; i++) hot[(i - start) * classes + data.y[i]!] = 1;
  return {
    x: tensor(data.x.subarray(start * pixels, end * pixels), { shape: [end - start, pixels] }),
    y: tensor(data.y.subarray(start, end), { dtype: 'i32' }),
    oneHot: tensor(hot, { shape: [end - start, classes] }),
  };
}

await openDevice();
const train = await load('train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz');
const test = await load('t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz');

const W = randn([pixels, classes]).mul(0.01).requiresGrad_();
const b = zeros([classes], { requiresGrad: true });
const softmax = (o: Tensor) => {
  const e = o.exp();
  return e.div(e.sum(1, true));
};
const net = (x: Tensor) => softmax(x.reshape([-1, pixels]).matmul(W).add(b));
const crossEntropy = (yHat: Tensor, oneHot: Tensor) => yHat.log().mul(oneHot).sum(1).neg();
const correct = (yHat: Tensor, y: Tensor) => yHat.argmax(1).float().eq(y.float()).sum();

for (let epoch = 1; epoch <= epochs; epoch++) {
  const losses: Tensor[] = [];
  for (let start = 0; start < train.n; start += batchSize) {
    const { x, oneHot } = batch(train, start, Math.min(start + batchSize, train.n));
    const l = crossEntropy(net(x), oneHot).sum();
    l.backward();
    noGrad(() => {
      W.sub_(W.grad!.mul(lr / batchSize));
      b.sub_(b.grad!.mul(lr / batchSize));
    });
    W.grad!.zero_();
    b.grad!.zero_();
    markStep();
    losses.push(l);
  }
  let [lossSum, right] = [0, 0];
  for (const l of losses) lossSum += await l.item(); // each step's loss was read back with its step
  for (let start = 0; start < test.n; start += 1000) {
    const { x, y } = batch(test, start, start + 1000);
    right += await noGrad(() => correct(net(x), y)).item();
  }
  console.log(`epoch ${epoch}: train loss ${(lossSum / train.n).toFixed(4)}, test accuracy ${(right / test.n).toFixed(4)}`);
}
