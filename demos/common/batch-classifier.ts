// Predicted classes for a fixed batch of images, computed on the GPU: the model's forward pass in
// evaluation mode and an argmax, compiled once into a program that reads the model's current
// parameters each run (they are Variables living on the GPU), so it can be re-run after every epoch.
import { Graph, Program, type Device, type nn, type SymbolicTensor as Tensor } from '../../src/browser';

export class BatchClassifier {
  private constructor(
    private readonly program: Program,
    private readonly predicted: Tensor,
    readonly count: number,
  ) {}

  /** A program for `count` images of shape `imageShape` (e.g. [1, 28, 28]) whose model outputs [count, classes]. */
  static async compile(device: Device, model: nn.Module, count: number, imageShape: readonly number[]): Promise<BatchClassifier> {
    const g = new Graph();
    const x = g.input('x', [count, ...imageShape]);
    const scores = model.forward(x, { training: false });
    if (scores.shape.length !== 2 || scores.shape[0] !== count) {
      throw new Error(`BatchClassifier: the model gives shape [${scores.shape.join(',')}] for ${count} images, expected [${count}, classes]`);
    }
    const predicted = g.argmax(scores, 1);
    return new BatchClassifier(await Program.compile(device, g, { outputs: [predicted], label: `predict[${count}]` }), predicted, count);
  }

  /** Classes of the images, given as the model's inputs (already scaled), row after row. */
  async classify(inputs: Float32Array): Promise<Int32Array> {
    this.program.run({ x: inputs });
    return (await this.program.read(this.predicted)) as Int32Array;
  }
}
