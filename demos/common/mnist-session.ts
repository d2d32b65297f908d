// One MNIST net on the page: the model and its trainer (setupMnist, as `kiln train mnist`), the
// compiled one-image classifier for the drawing pad, and test-set evaluation. A new session is made
// for each training run and for a loaded checkpoint of the other net.
import { manualSeed, MNIST_NETS, setupMnist, type Dataset, type Device, type nn, type Trainer } from '../../src/browser';
import type { MnistNetName } from '../../src/train/recipes/mnist';
import { DigitClassifier } from './digit-classifier';

export interface TestResult {
  accuracy: number;
  /** Correctly classified test images, out of `count`. */
  correct: number;
  count: number;
  loss: number;
}

export class MnistSession {
  private constructor(
    readonly net: MnistNetName,
    readonly model: nn.Module,
    readonly trainer: Trainer,
    readonly classifier: DigitClassifier,
  ) {}

  /** A freshly initialised net (seed 0, as the CLI's default) with SGD at the seed's settings. */
  static async create(device: Device, net: MnistNetName, batchSize: number): Promise<MnistSession> {
    manualSeed(0);
    const { model, trainer } = setupMnist(device, { net: MNIST_NETS[net], batchSize, seed: 0 });
    return new MnistSession(net, model, trainer, await DigitClassifier.compile(device, model));
  }

  /** Test loss and accuracy in evaluation mode, at the seed's test batch of 1000 (as `kiln eval mnist`). */
  async evaluate(test: Dataset): Promise<TestResult> {
    const result = await this.trainer.evaluate(test, { batchSize: 1000 });
    const accuracy = result.accuracy!;
    return { accuracy, correct: Math.round(accuracy * test.count), count: test.count, loss: result.loss };
  }
}
