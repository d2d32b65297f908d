// Linear regression (b) of the core issue in TensorFlow.js: y = X [2, -3.4] + 4.2 + noise on the same
// 1000 x 2 points as Kiln, w ~ N(0, 0.01), b = 0, mean squared error, SGD lr 0.03, minibatches of 10 in a
// shuffled order. The data and each epoch's order live on the GPU; a step slices its 10 indices and
// gathers its rows there. One epoch (100 steps) is timed, ending with a read of the last loss.
import { linregData } from '../src/train/recipes/linreg';
import { normal } from '../src/train/nn/init';
import type { Tf } from './tfjs-device';
import { medianMs } from './timing';

type TfTensor = ReturnType<Tf['tensor']>;

export async function tfjsLinregSteps(tf: Tf, reps: number): Promise<{ stepsPerSecond: number; weights: number[] }> {
  const data = linregData('b');
  const count = data.y.length;
  const batch = 10;
  const steps = count / batch;
  const x = tf.tensor2d(data.x, [count, 2]);
  const y = tf.tensor2d(data.y, [count, 1]);
  const w = tf.variable(tf.tensor2d(normal(2, 0, 0.01), [2, 1]));
  const b = tf.variable(tf.zeros([1]));
  const optimizer = tf.train.sgd(0.03);
  const epoch = async () => {
    const order = tf.tensor1d(Int32Array.from(tf.util.createShuffledIndices(count)), 'int32');
    let last: TfTensor | null = null;
    for (let s = 0; s < steps; s++) {
      if (last) tf.dispose(last);
      last = optimizer.minimize(() => {
        const rows = order.slice(s * batch, batch);
        return tf.losses.meanSquaredError(tf.gather(y, rows), tf.gather(x, rows).matMul(w).add(b)) as ReturnType<Tf['scalar']>;
      }, true);
    }
    await last!.data();
    tf.dispose([last!, order]);
  };
  try {
    await epoch();
    const ms = await medianMs(reps, epoch);
    return { stepsPerSecond: steps / (ms / 1000), weights: Array.from(await w.data()) };
  } finally {
    tf.dispose([x, y, w, b]);
    optimizer.dispose();
  }
}
