// The datasets of the linear-regression and gradient-descent pages, and the exact least-squares fit
// they are judged against. The y = 2x + 3 line is the recipe's own data (src/train/recipes/linreg.ts),
// so that the page trains on the very numbers `kiln train linreg --variant a` trains on in Node.
import { RandomStream, STREAM } from '../../src/random/philox';
import { linregData } from '../../src/train/recipes/linreg';

export interface RegressionData {
  /** Training examples. */
  x: Float32Array;
  y: Float32Array;
  /** Held-out examples (empty when the dataset has none). */
  testX: Float32Array;
  testY: Float32Array;
  /** The line the data was made from, for reference. */
  trueW: number;
  trueB: number;
  /** The true line as text, for legends. */
  truth: string;
  xLabel: string;
  yLabel: string;
}

/** The seed's y = 2x + 3 on x = 1..11 (recipe variant a), no held-out part. */
export function lineData(): RegressionData {
  const { x, y } = linregData('a');
  return { x, y, testX: new Float32Array(0), testY: new Float32Array(0), trueW: 2, trueB: 3, truth: 'y = 2x + 3', xLabel: 'x', yLabel: 'y' };
}

export const HOUSE_MONTHS = 100;
export const HOUSE_HELD_OUT = 10;
export const HOUSE_NOISE_STD = 5;

/**
 * House prices over 100 months: y = x + N(0, 5²), the noise drawn from Kiln's seeded Philox stream
 * (the data stream, as the recipes use), so a seed gives the same points in Node and in Chrome. The
 * last 10 months are held out: the fit never sees them, and their loss shows how it extrapolates.
 */
export function houseData(seed: number): RegressionData {
  const rand = new RandomStream(seed, STREAM.data);
  const all = Float32Array.from({ length: HOUSE_MONTHS }, (_, i) => i + 1);
  const prices = all.map((month) => month + HOUSE_NOISE_STD * rand.normal());
  const n = HOUSE_MONTHS - HOUSE_HELD_OUT;
  return {
    x: all.slice(0, n),
    y: prices.slice(0, n),
    testX: all.slice(n),
    testY: prices.slice(n),
    trueW: 1,
    trueB: 0,
    truth: 'y = x',
    xLabel: 'month',
    yLabel: 'price',
  };
}

/** The exact minimiser of the mean squared error (float64 normal equations), and its loss. */
export function leastSquares(x: Float32Array, y: Float32Array): { w: number; b: number; loss: number } {
  const n = x.length;
  const mx = x.reduce((a, v) => a + v, 0) / n;
  const my = y.reduce((a, v) => a + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
  }
  const w = sxx > 0 ? sxy / sxx : 0;
  const b = my - w * mx;
  return { w, b, loss: mseOf(x, y, w, b) };
}

/** Mean squared error of the line w x + b on (x, y), in float64. */
export function mseOf(x: Float32Array, y: Float32Array, w: number, b: number): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (w * x[i]! + b - y[i]!) ** 2;
  return x.length ? s / x.length : NaN;
}
