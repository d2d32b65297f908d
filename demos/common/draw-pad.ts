// The drawing canvas of the MNIST page: white ink on black, thick round strokes with a mouse, pen or
// finger (pointer events cover all three), and a callback at the end of each stroke. It can also be
// painted from a 28x28 image, which is how the test hook "draws" a test-set digit.
import type { InkImage } from './mnist-preprocess';

/** Stroke width in canvas pixels: on a 280 px canvas, a digit drawn ~200 px tall ends up with MNIST's ~2 px strokes. */
const STROKE = 20;

export class DrawPad {
  private readonly ctx: CanvasRenderingContext2D;
  private last: [number, number] | null = null;
  private drawn = false;

  constructor(
    readonly canvas: HTMLCanvasElement,
    private readonly onStrokeEnd: () => void,
  ) {
    // Read back after every stroke: tell the browser so it keeps the pixels on the CPU.
    this.ctx = canvas.getContext('2d', { willReadFrequently: true })!;
    this.clear();
    canvas.addEventListener('pointerdown', (e) => this.begin(e));
    canvas.addEventListener('pointermove', (e) => this.move(e));
    canvas.addEventListener('pointerup', () => this.end());
    canvas.addEventListener('pointercancel', () => this.end());
  }

  get empty(): boolean {
    return !this.drawn;
  }

  clear(): void {
    this.ctx.fillStyle = '#000';
    this.ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.drawn = false;
  }

  /** The canvas's grey levels (its red channel) in [0, 1]. */
  image(): InkImage {
    const { width, height } = this.canvas;
    const rgba = this.ctx.getImageData(0, 0, width, height).data;
    const ink = new Float32Array(width * height);
    for (let i = 0; i < ink.length; i++) ink[i] = rgba[4 * i]! / 255;
    return { width, height, ink };
  }

  /** Replaces the drawing with a size x size grey image (0-255), scaled up with hard pixel edges. */
  showPixels(pixels: ArrayLike<number>, size = 28): void {
    if (pixels.length !== size * size) throw new RangeError(`drawDigit needs ${size * size} grey levels (a ${size}x${size} image), got ${pixels.length}`);
    const small = document.createElement('canvas');
    small.width = size;
    small.height = size;
    const sctx = small.getContext('2d')!;
    const data = sctx.createImageData(size, size);
    for (let i = 0; i < pixels.length; i++) {
      const v = Math.min(255, Math.max(0, Math.round(pixels[i]!)));
      data.data.set([v, v, v, 255], 4 * i);
    }
    sctx.putImageData(data, 0, 0);
    this.clear();
    this.ctx.imageSmoothingEnabled = false;
    this.ctx.drawImage(small, 0, 0, this.canvas.width, this.canvas.height);
    this.drawn = true;
  }

  /** Canvas pixel coordinates of a pointer event (the canvas may be displayed at another size). */
  private at(e: PointerEvent): [number, number] {
    const r = this.canvas.getBoundingClientRect();
    return [((e.clientX - r.left) * this.canvas.width) / r.width, ((e.clientY - r.top) * this.canvas.height) / r.height];
  }

  private begin(e: PointerEvent): void {
    e.preventDefault();
    this.canvas.setPointerCapture(e.pointerId);
    this.last = this.at(e);
    this.segment(this.last, this.last);
  }

  private move(e: PointerEvent): void {
    if (!this.last) return;
    const next = this.at(e);
    this.segment(this.last, next);
    this.last = next;
  }

  private end(): void {
    if (!this.last) return;
    this.last = null;
    this.onStrokeEnd();
  }

  private segment(from: [number, number], to: [number, number]): void {
    const ctx = this.ctx;
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = STROKE;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(...from);
    ctx.lineTo(...to);
    ctx.stroke();
    this.drawn = true;
  }
}
