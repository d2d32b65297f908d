// The MNIST net as a one-image classifier on the GPU: input [1, 1, 28, 28] (normalised as in
// training), the model's forward pass in evaluation mode (no dropout), and the softmax of its
// log-probabilities, compiled once per model. The program reads the model's parameters where they
// live, so it always sees the latest trained or loaded weights.
import { Graph, MNIST_MEAN, MNIST_STD, Program, type Device, type nn, type SymbolicTensor as Tensor } from '../../src/browser';

export class DigitClassifier {
  private constructor(
    private readonly program: Program,
    private readonly probabilitiesOut: Tensor,
  ) {}

  static async compile(device: Device, model: nn.Module): Promise<DigitClassifier> {
    const g = new Graph();
    const x = g.input('x', [1, 1, 28, 28]);
    const logProbabilities = model.forward(x, { training: false });
    const probabilities = g.softmax(logProbabilities, 1);
    return new DigitClassifier(await Program.compile(device, g, { outputs: [probabilities], label: 'classify-digit' }), probabilities);
  }

  /** The ten class probabilities of a 28x28 image of grey levels in [0, 1] (white digit on black). */
  async probabilities(image: Float32Array): Promise<Float32Array> {
    if (image.length !== 784) throw new RangeError(`the classifier takes 784 pixels (28x28), got ${image.length}`);
    // transforms.Normalize((0.1307,), (0.3081,)), as the training images were read.
    const x = Float32Array.from(image, (v) => (v - MNIST_MEAN) / MNIST_STD);
    this.program.run({ x });
    return (await this.program.read(this.probabilitiesOut)) as Float32Array;
  }
}
