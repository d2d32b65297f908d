// What the linear-regression page draws: the data with the current fitted line, the loss curves, and
// the w / b readouts. Kept apart from the training loop so that loop reads as the training it is.
import { Plot } from './charts';
import { leastSquares, type RegressionData } from './linreg-data';
import type { Line } from './linreg-run';
import { $ } from './page';

const fmt = (v: number): string =>
  Number.isFinite(v) ? (Math.abs(v) >= 1e5 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(4) : v.toFixed(5)) : String(v);

export class LinregView {
  private readonly scatter: Plot;
  private readonly lossPlot: Plot;
  private readonly fit: { points: [number, number][] };
  private readonly trainCurve: { points: [number, number][] };
  private readonly testCurve: { points: [number, number][] } | null;
  private readonly xs: [number, number];

  constructor(readonly data: RegressionData) {
    const all = [...data.x, ...data.testX];
    this.xs = [Math.min(...all), Math.max(...all)];
    const held = data.testX.length > 0;
    this.scatter = new Plot($('scatter') as HTMLCanvasElement, held ? 'price by month' : 'data and the fitted line', data.xLabel, data.yLabel);
    const pts = (x: Float32Array, y: Float32Array): [number, number][] => Array.from(x, (v, i) => [v, y[i]!]);
    this.scatter.add({ name: held ? 'train' : 'data', color: '#2563eb', dots: true, points: pts(data.x, data.y) });
    if (held) this.scatter.add({ name: 'held out', color: '#f97316', dots: true, points: pts(data.testX, data.testY) });
    this.scatter.add({ name: `true ${data.truth}`, color: '#9ca3af', dashed: true, points: this.linePoints({ w: data.trueW, b: data.trueB }) });
    this.fit = this.scatter.add({ name: 'SGD fit', color: '#dc2626', points: [] });
    // Keep the axes on the data while the line starts far off.
    const ys = [...data.y, ...data.testY];
    const pad = (Math.max(...ys) - Math.min(...ys)) * 0.1;
    this.scatter.range = { x0: this.xs[0], x1: this.xs[1], y0: Math.min(...ys) - pad, y1: Math.max(...ys) + pad };
    this.lossPlot = new Plot($('losses') as HTMLCanvasElement, 'mean squared error per epoch (log scale)', 'epoch', 'loss');
    this.lossPlot.logY = true;
    this.trainCurve = this.lossPlot.add({ name: 'train', color: '#2563eb', points: [] });
    this.testCurve = held ? this.lossPlot.add({ name: 'held out', color: '#f97316', points: [] }) : null;
    $('test-readout').hidden = !held;
    const exact = leastSquares(data.x, data.y);
    $('exact').textContent = `w ${exact.w.toFixed(4)}, b ${exact.b.toFixed(4)}, loss ${fmt(exact.loss)}`;
    this.draw();
  }

  private linePoints(line: Line): [number, number][] {
    return this.xs.map((x) => [x, line.w * x + line.b]);
  }

  /** Updates the readouts and the fitted line (original units; `trained` in standardized units too). */
  showLine(line: Line, trained: Line | null): void {
    $('w').textContent = fmt(line.w);
    $('b').textContent = fmt(line.b);
    $('std-readout').hidden = !trained;
    if (trained) {
      $('w-std').textContent = fmt(trained.w);
      $('b-std').textContent = fmt(trained.b);
    }
    this.fit.points = this.linePoints(line);
  }

  showLosses(epoch: number, train: readonly number[], test: readonly number[]): void {
    $('epoch').textContent = String(epoch);
    $('loss').textContent = fmt(train.at(-1) ?? NaN);
    $('test-loss').textContent = fmt(test.at(-1) ?? NaN);
    this.trainCurve.points = train.map((l, i) => [i + 1, l]);
    if (this.testCurve) this.testCurve.points = test.map((l, i) => [i + 1, l]);
  }

  draw(): void {
    this.scatter.draw();
    this.lossPlot.draw();
  }
}
