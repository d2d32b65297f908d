// The seed's MNIST CNN in TensorFlow.js (tf.layers, channels last): conv 1->32 3x3, relu, conv 32->64
// 3x3, relu, max pool 2, dropout 0.25 of whole channels (PyTorch's dropout2d: the noise shape is one
// value per image and channel), flatten, dense 9216->128 relu, dropout 0.5, dense 128->10; softmax
// cross-entropy of the logits (= log_softmax + nll_loss), SGD lr 0.025 momentum 0.9 (TensorFlow's
// momentum update is PyTorch's: v = 0.9 v + g, p -= lr v). The batches are uploaded before timing, as
// Kiln's dataset lives on the GPU.
import { MNIST_MEAN, MNIST_STD } from '../src/train/recipes/mnist';
import type { Tf } from './tfjs-device';
import { medianMs } from './timing';

type TfTensor = ReturnType<Tf['tensor']>;
type Model = ReturnType<Tf['sequential']>;

export interface MnistImages {
  /** count x 28 x 28 bytes. */
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

function mnistNet(tf: Tf, batch: number): Model {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, activation: 'relu' }),
      tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.dropout({ rate: 0.25, noiseShape: [batch, 1, 1, 64] }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 128, activation: 'relu' }),
      tf.layers.dropout({ rate: 0.5 }),
      tf.layers.dense({ units: 10 }),
    ],
  });
}

/** Images [first, first + count) normalised as the seed does, NHWC, with one-hot labels. */
function batchOf(tf: Tf, data: MnistImages, first: number, count: number): { x: TfTensor; y: TfTensor } {
  const pixels = new Float32Array(count * 784);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (data.images[first * 784 + i]! / 255 - MNIST_MEAN) / MNIST_STD;
  const labels = Int32Array.from(data.labels.subarray(first, first + count));
  return { x: tf.tensor4d(pixels, [count, 28, 28, 1]), y: tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), 10)) };
}

export interface TfjsTrainingRun {
  imagesPerSecond: number;
  msPerStep: number;
  stepsPerRep: number;
  reps: number;
  loss: number;
  /** From building the model to the end of its first training step. */
  coldStartSeconds: number;
}

/** One warm-up step, then `reps` repetitions of `stepsPerRep` steps, each ending with a read of the last loss. */
export async function tfjsMnistTraining(tf: Tf, data: MnistImages, reps: number, stepsPerRep: number, batch = 64): Promise<TfjsTrainingRun> {
  const built = performance.now();
  const model = mnistNet(tf, batch);
  const optimizer = tf.train.momentum(0.025, 0.9);
  const batches = Array.from({ length: 1 + stepsPerRep }, (_, s) => batchOf(tf, data, (s * batch) % (data.count - batch), batch));
  const step = (s: number) => {
    const { x, y } = batches[s]!;
    return optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as TfTensor) as ReturnType<Tf['scalar']>, true)!;
  };
  let loss = NaN;
  const runSteps = async (first: number, count: number) => {
    let last: TfTensor | null = null;
    for (let s = 0; s < count; s++) {
      if (last) tf.dispose(last);
      last = step(first + s);
    }
    loss = (await last!.data())[0]!;
    tf.dispose(last!);
  };
  try {
    await runSteps(0, 1);
    const coldStartSeconds = (performance.now() - built) / 1000;
    const ms = await medianMs(reps, () => runSteps(1, stepsPerRep));
    return { imagesPerSecond: (batch * stepsPerRep) / (ms / 1000), msPerStep: ms / stepsPerRep, stepsPerRep, reps, loss, coldStartSeconds };
  } finally {
    tf.dispose(batches.flatMap((b) => [b.x, b.y]));
    optimizer.dispose();
    model.dispose();
  }
}

export interface TfjsInferenceRun {
  imagesPerSecond: number;
  chunk: number;
  reps: number;
  accuracy: number;
}

/**
 * The seed's test loop over `count` images: summed loss and correct count on the GPU, one read at the
 * end. The batch is halved until conv2's output (chunk x 24 x 24 x 64 floats) fits one storage binding.
 */
export async function tfjsMnistInference(tf: Tf, data: MnistImages, count: number, reps: number, maxBindingBytes: number): Promise<TfjsInferenceRun> {
  let chunk = count;
  while (chunk > 1 && chunk * 24 * 24 * 64 * 4 > maxBindingBytes) chunk = Math.ceil(chunk / 2);
  const model = mnistNet(tf, chunk);
  const chunks: { x: TfTensor; y: TfTensor }[] = [];
  for (let first = 0; first < count; first += chunk) chunks.push(batchOf(tf, data, first, Math.min(chunk, count - first)));
  let accuracy = NaN;
  const evaluate = async () => {
    const totals = tf.tidy(() => {
      let lossSum = tf.scalar(0);
      let correct = tf.scalar(0);
      for (const { x, y } of chunks) {
        const logits = model.predict(x) as TfTensor;
        lossSum = lossSum.add(tf.losses.softmaxCrossEntropy(y, logits, undefined, undefined, tf.Reduction.SUM));
        correct = correct.add(tf.equal(tf.argMax(logits, 1), tf.argMax(y, 1)).sum());
      }
      return tf.stack([lossSum, correct]);
    });
    const [, hits] = await totals.data();
    accuracy = hits! / count;
    tf.dispose(totals);
  };
  try {
    await evaluate();
    const ms = await medianMs(reps, evaluate);
    return { imagesPerSecond: count / (ms / 1000), chunk, reps, accuracy };
  } finally {
    tf.dispose(chunks.flatMap((c) => [c.x, c.y]));
    model.dispose();
  }
}
