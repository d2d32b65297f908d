// The seed tutorials' linear regressions:
//  (a) x = 1..11, y = 2x + 3, Linear(1, 1), SGD lr 0.01, 1000 full-batch epochs;
//  (b) X ~ N(0, 1) of 1000 x 2, y = X [2, -3.4] + 4.2 + N(0, 0.01), minibatches of 10 shuffled, lr 0.03, 3 epochs;
//  (c) (b) with standardised features; the fitted line is mapped back to the raw features.
import { STREAM, RandomStream } from '../../random/philox';
import type { Device } from '../../device/device';
import { Dataset } from '../data/dataset';
import { standardize } from '../data/preprocess';
import { Linear } from '../nn/linear';
import { normal } from '../nn/init';
import { mseLoss } from '../../ops/mse-loss';
import { SGD } from '../optim/sgd';
import { Trainer, type FitOptions } from '../trainer';

export type LinregVariant = 'a' | 'b' | 'c';

export interface LinregSetup {
  variant: LinregVariant;
  dataset: Dataset;
  model: Linear;
  trainer: Trainer;
  epochs: number;
  shuffle: boolean;
  /** Column means and standard deviations used to standardise (variant c). */
  standardization: { mean: number[]; std: number[] } | null;
  trueWeights: number[];
  trueBias: number;
}

export interface LinregResult {
  weights: number[];
  bias: number;
  losses: number[];
}

/** Features and targets of a variant (deterministic in `seed`). */
export function linregData(variant: LinregVariant, seed = 0): { x: Float32Array; y: Float32Array; features: number; w: number[]; b: number } {
  if (variant === 'a') {
    const x = Float32Array.from({ length: 11 }, (_, i) => i + 1);
    return { x, y: x.map((v) => 2 * v + 3), features: 1, w: [2], b: 3 };
  }
  const rand = new RandomStream(seed, STREAM.data);
  const w = [2, -3.4];
  const b = 4.2;
  const n = 1000;
  const x = rand.fillNormal(new Float32Array(n * 2), 0, 1);
  const y = Float32Array.from({ length: n }, (_, i) => x[2 * i]! * w[0]! + x[2 * i + 1]! * w[1]! + b + 0.01 * rand.normal());
  return { x, y, features: 2, w, b };
}

export function setupLinreg(device: Device, variant: LinregVariant, seed = 0): LinregSetup {
  const data = linregData(variant, seed);
  const scaled = variant === 'c' ? standardize(data.x, data.features) : null;
  const dataset = new Dataset({ name: `linreg-${variant}`, features: scaled?.x ?? data.x, featureShape: [data.features], targets: data.y, targetShape: [1] });
  const model = new Linear(data.features, 1);
  if (variant !== 'a') {
    // d2l initialises this model with w ~ N(0, 0.01) and b = 0.
    model.weight.assign(normal(data.features, 0, 0.01));
    model.bias!.assign(new Float32Array(1));
  }
  const lr = variant === 'a' ? 0.01 : 0.03;
  const trainer = new Trainer(device, {
    model,
    loss: mseLoss,
    optimizer: new SGD({ lr }),
    batchSize: variant === 'a' ? 11 : 10,
    seed,
  });
  return {
    variant,
    dataset,
    model,
    trainer,
    epochs: variant === 'a' ? 1000 : 3,
    shuffle: variant !== 'a',
    standardization: scaled ? { mean: scaled.mean, std: scaled.std } : null,
    trueWeights: data.w,
    trueBias: data.b,
  };
}

/** Trains and returns the fitted line in the raw features' units. */
export async function trainLinreg(setup: LinregSetup, options: Pick<FitOptions, 'onProgress' | 'reportEvery'> = {}): Promise<LinregResult> {
  const history = await setup.trainer.fit(setup.dataset, { epochs: setup.epochs, shuffle: setup.shuffle, ...options });
  const w = Array.from(await setup.model.weight.read());
  const b = (await setup.model.bias!.read())[0]!;
  const losses = history.map((h) => h.loss);
  if (!setup.standardization) return { weights: w, bias: b, losses };
  // y = sum_j w'_j (x_j - mean_j) / std_j + b'  =>  w_j = w'_j / std_j,  b = b' - sum_j w'_j mean_j / std_j
  const { mean, std } = setup.standardization;
  return {
    weights: w.map((wj, j) => wj / std[j]!),
    bias: b - w.reduce((acc, wj, j) => acc + (wj * mean[j]!) / std[j]!, 0),
    losses,
  };
}
