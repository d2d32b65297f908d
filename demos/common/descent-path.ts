// The path that full-batch SGD takes over (w, b): one step at a time on the GPU, reading the two
// parameters back after each, so the gradient-descent page can draw each step on the loss surface.
import type { Device } from '../../src/browser';
import { LinregRun, type Line } from './linreg-run';
import type { SurfaceGrid } from './loss-surface';

export interface DescentSpec {
  name: string;
  color: string;
  lr: number;
  /** Train on standardized x: the path is then in (w', b'), the standardized coordinates. */
  standardize: boolean;
  start: Line;
  steps: number;
  /** The map the path is drawn on: a run that gets a map's width beyond it is stopped there. */
  map: SurfaceGrid;
}

export interface DescentPath {
  name: string;
  lr: number;
  standardized: boolean;
  /** (w, b) before the first step and after each step, in the trained coordinates. */
  points: [number, number][];
  /** The full-batch loss at each point but the last (the loss of the step taken from it). */
  losses: number[];
  /** The loss at the last point. */
  finalLoss: number;
  /** The loss grew instead of falling (or overflowed): the learning rate is beyond the stable limit. */
  diverged: boolean;
  /** The first step that left the map, or null. */
  leftMapAt: number | null;
}

const outside = (p: Line, m: SurfaceGrid, margin: number): boolean => {
  const dw = (m.w1 - m.w0) * margin;
  const db = (m.b1 - m.b0) * margin;
  return p.w < m.w0 - dw || p.w > m.w1 + dw || p.b < m.b0 - db || p.b > m.b1 + db;
};

/** Runs `spec.steps` full-batch SGD steps on (x, y), calling onStep after each with the path so far. */
export async function descend(device: Device, x: Float32Array, y: Float32Array, spec: DescentSpec, onStep: (path: DescentPath) => void): Promise<DescentPath> {
  const run = new LinregRun(device, { x, y, lr: spec.lr, batchSize: x.length, standardize: spec.standardize, seed: 0, start: spec.start });
  const path: DescentPath = {
    name: spec.name,
    lr: spec.lr,
    standardized: spec.standardize,
    points: [[spec.start.w, spec.start.b]],
    losses: [],
    finalLoss: NaN,
    diverged: false,
    leftMapAt: null,
  };
  try {
    for (let step = 1; step <= spec.steps; step++) {
      path.losses.push(await run.epoch());
      const p = await run.params();
      path.points.push([p.w, p.b]);
      if (path.leftMapAt === null && outside(p, spec.map, 0)) path.leftMapAt = step;
      onStep(path);
      // A map's width beyond the edge, nothing more of the path can be seen.
      if (outside(p, spec.map, 1)) break;
    }
    path.finalLoss = await run.trainLoss();
  } catch (e) {
    // The trainer refuses to go on once the loss overflows: that is divergence, the result to show.
    if (!(e instanceof RangeError && e.message.includes('diverged'))) throw e;
    path.finalLoss = Infinity;
  }
  path.diverged = !(path.finalLoss <= path.losses[0]!);
  await run.release();
  return path;
}
