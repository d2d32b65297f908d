// One SGD run of y = w x + b on the GPU, for the linear-regression and gradient-descent pages: the
// same Linear(1, 1), mse loss, SGD and Trainer as the Node recipe, stepped one epoch at a time so a
// page can read (w, b) between epochs, redraw, and stop. With standardization the model is trained
// on (x - mean) / std, and line() maps the fitted line back to the original units.
import { Dataset, manualSeed, nn, optim, loss, Trainer, type Device, type Progress } from '../../src/browser';
import { standardize } from '../../src/train/data/preprocess';

export interface Line {
  w: number;
  b: number;
}

export interface LinregRunOptions {
  x: Float32Array;
  y: Float32Array;
  /** Held-out examples, scaled with the training mean and std. */
  testX?: Float32Array;
  testY?: Float32Array;
  lr: number;
  batchSize: number;
  standardize: boolean;
  /** Seeds the initial weights (as manualSeed before the layer is made) and the shuffling. */
  seed: number;
  /** Start here (in the trained coordinates) instead of nn.Linear's random initialisation. */
  start?: Line;
}

export class LinregRun {
  readonly model: nn.Linear;
  readonly trainer: Trainer;
  readonly train: Dataset;
  readonly test: Dataset | null;
  /** x is trained as (x - mean) / std; mean 0 and std 1 without standardization. */
  readonly scaling: { mean: number; std: number };
  private readonly shuffle: boolean;

  constructor(device: Device, options: LinregRunOptions) {
    const scaled = options.standardize ? standardize(options.x, 1) : null;
    this.scaling = scaled ? { mean: scaled.mean[0]!, std: scaled.std[0]! } : { mean: 0, std: 1 };
    const { mean, std } = this.scaling;
    this.train = new Dataset({ name: 'train', features: scaled?.x ?? options.x, featureShape: [1], targets: options.y, targetShape: [1] });
    const testX = options.testX;
    this.test =
      testX && testX.length > 0 && options.testY
        ? new Dataset({
            name: 'held-out',
            features: scaled ? testX.map((v) => (v - mean) / std) : testX,
            featureShape: [1],
            targets: options.testY,
            targetShape: [1],
          })
        : null;
    // Seeding right before the layer is made reproduces a fresh Node process's initial weights.
    manualSeed(options.seed);
    this.model = new nn.Linear(1, 1);
    if (options.start) {
      this.model.weight.assign(Float32Array.of(options.start.w));
      this.model.bias!.assign(Float32Array.of(options.start.b));
    }
    const batchSize = Math.min(options.batchSize, this.train.count);
    this.trainer = new Trainer(device, { model: this.model, loss: loss.mse, optimizer: new optim.SGD({ lr: options.lr }), batchSize, seed: options.seed });
    // Full batches read the examples in order, as the recipe does: shuffling would only change the
    // order of the sum, and with it the last bits of the loss.
    this.shuffle = batchSize < this.train.count;
  }

  /** One epoch on the GPU; its mean training loss. onProgress sees the running loss within long epochs. */
  async epoch(onProgress?: (p: Progress) => void): Promise<number> {
    const [result] = await this.trainer.fit(this.train, { epochs: 1, shuffle: this.shuffle, reportEvery: 25, ...(onProgress ? { onProgress } : {}) });
    return result!.loss;
  }

  /** The parameters as trained (standardized coordinates when standardizing): two small reads. */
  async params(): Promise<Line> {
    const [w, b] = await Promise.all([this.model.weight.read(), this.model.bias!.read()]);
    return { w: w[0]!, b: b[0]! };
  }

  /** A line in trained coordinates as a line in the original units of x. */
  line(trained: Line): Line {
    const { mean, std } = this.scaling;
    // w' (x - mean) / std + b'  =  (w' / std) x + (b' - w' mean / std)
    return { w: trained.w / std, b: trained.b - (trained.w * mean) / std };
  }

  /** Mean squared error on the held-out examples (NaN without any). */
  async testLoss(): Promise<number> {
    return this.test ? (await this.trainer.evaluate(this.test)).loss : NaN;
  }

  /** Mean squared error on the training examples at the current parameters. */
  async trainLoss(): Promise<number> {
    return (await this.trainer.evaluate(this.train)).loss;
  }

  /** Frees the GPU copies of the data and the parameters. */
  async release(): Promise<void> {
    await Promise.all([this.train.release(), this.test?.release(), this.model.weight.release(), this.model.bias!.release()]);
  }
}
