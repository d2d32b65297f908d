// A grid of small dataset images with captions (predicted and true label), as the softmax page shows
// after each epoch. The images are drawn from their u8 bytes, one canvas each, so what the page shows
// is exactly what the model was given.

export interface GridItem {
  /** rows * cols grey levels, 0 (black) to 255 (white), row-major. */
  pixels: Uint8Array;
  predicted: string;
  truth: string;
}

/** A canvas holding a grey image at its own resolution (CSS scales it up, pixelated). */
export function imageCanvas(pixels: Uint8Array, rows = 28, cols = 28): HTMLCanvasElement {
  if (pixels.length !== rows * cols) throw new RangeError(`imageCanvas: ${pixels.length} pixels do not make a ${rows}x${cols} image`);
  const canvas = document.createElement('canvas');
  canvas.width = cols;
  canvas.height = rows;
  const ctx = canvas.getContext('2d')!;
  const image = ctx.createImageData(cols, rows);
  pixels.forEach((v, i) => image.data.set([v, v, v, 255], 4 * i));
  ctx.putImageData(image, 0, 0);
  return canvas;
}

/** Replaces the container's content with one captioned figure per item; wrong predictions are marked. */
export function renderImageGrid(container: HTMLElement, items: readonly GridItem[]): void {
  const figures = items.map((item) => {
    const figure = document.createElement('figure');
    const caption = document.createElement('figcaption');
    const wrong = item.predicted !== item.truth;
    const guess = document.createElement('div');
    guess.textContent = item.predicted;
    if (wrong) {
      guess.className = 'wrong';
      guess.title = 'wrong prediction';
    }
    const truth = document.createElement('div');
    truth.textContent = wrong ? `(true: ${item.truth})` : '\u2713';
    caption.append(guess, truth);
    figure.append(imageCanvas(item.pixels), caption);
    return figure;
  });
  container.replaceChildren(...figures);
}
