// Gradient descent, seen: the mean-squared-error surface of y = w x + b over a (w, b) grid, computed
// on the GPU, with the paths of three full-batch SGD runs drawn over it as they are taken: a learning
// rate just above the stable limit, one just below it, and standardized x (a round bowl).
// Query settings: ?steps=40&grid=128&seed=0&lrLarge=4e-4&lrGood=3e-4&lrStd=0.3.
import { HeatMap, Plot, type Series } from '../common/charts';
import { descend, type DescentPath, type DescentSpec } from '../common/descent-path';
import { houseData, leastSquares } from '../common/linreg-data';
import { lossSurface, type SurfaceGrid } from '../common/loss-surface';
import { $, openPageDevice, param, runPage, setPhase, status } from '../common/page';
import { standardize } from '../../src/train/data/preprocess';

/** Redraw the maps at most this often while a path grows. */
const REDRAW_MS = 60;

/**
 * Curvatures of the MSE of w x + b: the Hessian is 2 [[mean x², mean x], [mean x, 1]] everywhere
 * (the loss is quadratic), and full-batch gradient descent is stable for lr < 2 / its largest eigenvalue.
 */
function curvatures(x: Float32Array): { max: number; min: number } {
  const n = x.length;
  const sx = x.reduce((a, v) => a + v, 0) / n;
  const sxx = x.reduce((a, v) => a + v * v, 0) / n;
  const half = (2 * sxx + 2) / 2;
  const det = 4 * (sxx - sx * sx);
  const root = Math.sqrt(half * half - det);
  return { max: half + root, min: det / (half + root) };
}

function positive(name: string, value: number, integer = false): number {
  if (!(value > 0 && Number.isFinite(value)) || (integer && !Number.isInteger(value)))
    throw new RangeError(`?${name}= must be a positive ${integer ? 'integer' : 'number'}, got ${value}`);
  return value;
}

function resultText(p: DescentPath, bestLoss: number): string {
  if (p.diverged) {
    const where = p.leftMapAt === null ? 'stayed on the map' : `left the map at step ${p.leftMapAt}`;
    const growth = p.finalLoss / p.losses[0]!;
    return `diverged: ${where}, loss ×${growth < 1e4 ? Math.round(growth) : growth.toExponential(1)}`;
  }
  const near = [...p.losses, p.finalLoss].findIndex((l) => l <= bestLoss * 1.01);
  return near >= 0 ? `within 1% of the minimum after ${near} steps` : `not within 1% of the minimum after ${p.losses.length} steps`;
}

function addRow(p: DescentPath, color: string, bestLoss: number): void {
  const row = document.createElement('tr');
  const cells = [p.name, String(p.lr), String(p.losses.length), p.finalLoss.toPrecision(4), resultText(p, bestLoss)];
  for (const [i, text] of cells.entries()) {
    const td = document.createElement('td');
    if (i === 0) {
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.background = color;
      td.append(swatch);
    }
    td.append(text);
    if (i === 4 && p.diverged) td.className = 'bad';
    row.append(td);
  }
  $('runs').append(row);
}

runPage(async () => {
  const device = await openPageDevice();
  if (!device) return;
  setPhase('running');
  const seed = param('seed', 0);
  const steps = positive('steps', param('steps', 40), true);
  const size = positive('grid', param('grid', 128), true);
  const data = houseData(seed);
  const { x, y } = data;
  const best = leastSquares(x, y);
  const scaled = standardize(x, 1);
  const [mean, std] = [scaled.mean[0]!, scaled.std[0]!];
  const curv = curvatures(x);
  const lrLimit = 2 / curv.max;
  $('lr-limit').textContent = lrLimit.toPrecision(3);
  $('ratio-raw').textContent = Math.round(curv.max / curv.min).toLocaleString('en');
  $('best-loss').textContent = best.loss.toPrecision(4);

  // The maps: raw (w, b) around the fit's narrow valley, and a square (w', b') window for the round bowl.
  const rawMap: SurfaceGrid = { size, w0: -1, w1: 3, b0: -60, b1: 60 };
  const stdMap: SurfaceGrid = { size, w0: -15, w1: 65, b0: -15, b1: 65 };
  status('Computing the two loss surfaces on the GPU…');
  const rawValues = await lossSurface(device, x, y, rawMap);
  const stdValues = await lossSurface(device, scaled.x, y, stdMap);
  const grid = (m: SurfaceGrid, values: Float32Array) => ({ values, cols: m.size, rows: m.size, x0: m.w0, x1: m.w1, y0: m.b0, y1: m.b1, log: true });
  const rawHeat = new HeatMap($('surface-raw') as HTMLCanvasElement, 'raw months: log loss over (w, b)', 'w', 'b', grid(rawMap, rawValues));
  const stdHeat = new HeatMap($('surface-std') as HTMLCanvasElement, "standardized: log loss over (w', b')", "w'", "b'", grid(stdMap, stdValues));
  rawHeat.paths.push({ name: 'minimum', color: '#ffffff', points: [[best.w, best.b]] });
  stdHeat.paths.push({ name: 'minimum', color: '#ffffff', points: [[best.w * std, best.b + best.w * mean]] });
  const lossPlot = new Plot($('descent-loss') as HTMLCanvasElement, 'full-batch loss per step (log scale)', 'step', 'loss');
  lossPlot.logY = true;
  const draw = (): void => {
    rawHeat.draw();
    stdHeat.draw();
    lossPlot.draw();
  };
  draw();

  const start = { w: 0, b: 0 };
  const specs: (DescentSpec & { heat: HeatMap })[] = [
    { name: 'too large', color: '#ff3b30', lr: param('lrLarge', 4e-4), standardize: false, start, steps, map: rawMap, heat: rawHeat },
    { name: 'good', color: '#22d3ee', lr: param('lrGood', 3e-4), standardize: false, start, steps, map: rawMap, heat: rawHeat },
    { name: 'standardized', color: '#ff9f0a', lr: param('lrStd', 0.3), standardize: true, start, steps, map: stdMap, heat: stdHeat },
  ];
  const paths: DescentPath[] = [];
  for (const spec of specs) {
    positive(`lr of '${spec.name}'`, spec.lr);
    status(`Running '${spec.name}' (lr ${spec.lr}) on the GPU, one step at a time…`);
    const onMap: Series = { name: spec.name, color: spec.color, points: [] };
    const onPlot: Series = lossPlot.add({ name: spec.name, color: spec.color, points: [] });
    spec.heat.paths.splice(spec.heat.paths.length - 1, 0, onMap);
    let drawn = 0;
    const path = await descend(device, spec.standardize ? scaled.x : x, y, spec, (p) => {
      onMap.points = p.points;
      onPlot.points = p.losses.map((l, i) => [i, l]);
      if (performance.now() - drawn > REDRAW_MS) {
        draw();
        drawn = performance.now();
      }
    });
    onPlot.points = [...path.losses, path.finalLoss].map((l, i) => [i, l]);
    draw();
    addRow(path, spec.color, best.loss);
    paths.push(path);
  }
  const bad = paths.filter((p) => p.diverged).map((p) => `'${p.name}'`);
  status(`Done. ${bad.length ? `${bad.join(', ')} diverged (learning rate above 2/λmax = ${lrLimit.toPrecision(3)}); ` : ''}the others converged.`);
  setPhase('done', { paths, bestLoss: best.loss, lrLimit, best: { w: best.w, b: best.b } });
});
