// The MNIST page's "draw a digit" panel: the pad, the 28x28 preview of what the net is given, and the
// probability bars. Each prediction goes drawing -> MNIST-style preprocessing -> the compiled GPU
// classifier; predictions are queued so that a stroke and the test hook never interleave readbacks.
import type { DigitClassifier } from './digit-classifier';
import { DrawPad } from './draw-pad';
import { mnistStyle } from './mnist-preprocess';
import { $ } from './page';
import { renderBars } from './prob-bars';

const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

export interface Prediction {
  probabilities: number[];
  predicted: number;
}

export interface DigitDrawingOptions {
  /** The net's classifier now, or null before any training or loading. */
  classifier: () => DigitClassifier | null;
  onPrediction: (p: Prediction) => void;
  /** A drawing with no net to classify it, or a failed prediction after a stroke. */
  onMessage: (text: string) => void;
}

export class DigitDrawing {
  private readonly pad: DrawPad;
  private queue: Promise<unknown> = Promise.resolve();

  /** Uses the page's #pad, #preview, #predicted, #bars and #clear elements. */
  constructor(private readonly options: DigitDrawingOptions) {
    this.pad = new DrawPad($('pad') as HTMLCanvasElement, () => {
      this.predict().catch((e: unknown) => options.onMessage(`Prediction failed: ${e instanceof Error ? e.message : String(e)}`));
    });
    this.showPreview(null);
    $('clear').addEventListener('click', () => {
      this.pad.clear();
      this.showPreview(null);
      this.showResult(null);
    });
  }

  get empty(): boolean {
    return this.pad.empty;
  }

  /** Classifies what is on the pad (after the predictions already queued); null when there is nothing to classify. */
  predict(): Promise<Prediction | null> {
    const next = this.queue.then(() => this.run());
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Test hook: paints a 28x28 image (784 grey levels 0-255) on the pad and classifies it like a drawing. */
  async drawDigit(pixels: number[]): Promise<number> {
    if (!this.options.classifier()) throw new Error('drawDigit: there is no net yet (train it or load weights first)');
    this.pad.showPixels(pixels);
    const prediction = await this.predict();
    if (!prediction) throw new Error('drawDigit: the image has no ink (every pixel is at most 10% grey)');
    return prediction.predicted;
  }

  private async run(): Promise<Prediction | null> {
    const image = mnistStyle(this.pad.image());
    this.showPreview(image);
    const classifier = this.options.classifier();
    if (!image || !classifier) {
      this.showResult(null);
      if (image) this.options.onMessage('Train the net or load weights first; then the net classifies your drawing.');
      return null;
    }
    const probabilities = Array.from(await classifier.probabilities(image));
    const prediction = { probabilities, predicted: probabilities.indexOf(Math.max(...probabilities)) };
    this.showResult(prediction);
    this.options.onPrediction(prediction);
    return prediction;
  }

  private showResult(p: Prediction | null): void {
    $('predicted').textContent = p ? String(p.predicted) : '–';
    if (p) renderBars($('bars'), p.probabilities, DIGITS);
    else $('bars').replaceChildren();
  }

  /** The 28x28 input the net is given, grey levels in [0, 1] (black when nothing is drawn). */
  private showPreview(image: Float32Array | null): void {
    const ctx = ($('preview') as HTMLCanvasElement).getContext('2d')!;
    const pixels = ctx.createImageData(28, 28);
    for (let i = 0; i < 784; i++) {
      const v = Math.round(255 * Math.min(1, image ? image[i]! : 0));
      pixels.data.set([v, v, v, 255], 4 * i);
    }
    ctx.putImageData(pixels, 0, 0);
  }
}
