// The mean squared error of y = w x + b at every point of a (w, b) grid, computed on the GPU by a
// Kiln program: the grid's w and b are [cells, 1] inputs broadcast against x and y as [1, n], so
// pred = W x + B is [cells, n] and mean((pred - y)², axis 1) is one loss per cell. That is a handful
// of WGSL kernels (mul, add, sub, square, a row mean) and one submit, with no loop on the CPU.
import { Graph, Program, type Device } from '../../src/browser';

export interface SurfaceGrid {
  /** Cells per side: the map is size x size. */
  size: number;
  w0: number;
  w1: number;
  b0: number;
  b1: number;
}

/** Losses row by row, b from b0 (row 0) to b1 and w from w0 (column 0) to w1, as HeatMap draws them. */
export async function lossSurface(device: Device, x: Float32Array, y: Float32Array, grid: SurfaceGrid): Promise<Float32Array> {
  const { size, w0, w1, b0, b1 } = grid;
  if (!Number.isInteger(size) || size < 2) throw new RangeError(`loss surface: the grid needs at least 2 cells per side, got ${size}`);
  const cells = size * size;
  const n = x.length;
  const g = new Graph();
  const W = g.input('w', [cells, 1]);
  const B = g.input('b', [cells, 1]);
  const X = g.constant(x, [1, n], 'x');
  const Y = g.constant(y, [1, n], 'y');
  const surface = g.mean(g.square(g.sub(g.add(g.mul(W, X), B), Y)), 1);
  const program = await Program.compile(device, g, { outputs: [surface], label: 'loss-surface' });
  const ws = new Float32Array(cells);
  const bs = new Float32Array(cells);
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      ws[r * size + c] = w0 + ((w1 - w0) * c) / (size - 1);
      bs[r * size + c] = b0 + ((b1 - b0) * r) / (size - 1);
    }
  }
  program.run({ w: ws, b: bs });
  return (await program.read(surface)) as Float32Array;
}
