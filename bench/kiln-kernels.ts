// Kiln's side of the single-kernel workloads, through the public graph API: operands are parameters,
// the program is compiled once, and one repetition is `program.run({}, { steps })` (every step in one
// submit) followed by a read of the result as the fence.
import type { Device } from '../src/device/device';
import { Graph } from '../src/graph/graph';
import '../src/graph/graph-ops';
import { Program } from '../src/graph/program';
import type { Tensor } from '../src/graph/tensor';
import { CONV_FLOPS, convOperands, KILN_SHAPES, matmulFlops, matmulOperands, type ConvKind, type MatmulCase } from './kernel-cases';
import { measureRuns, timed } from './timing';

export interface KernelRun {
  /** Median milliseconds of one run of the kernel (a repetition's time over its runs). */
  ms: number;
  gflops: number;
  /** Runs per timed repetition, and repetitions timed. */
  runs: number;
  reps: number;
  /** The result of the last run, to compare with the other library. */
  output: Float32Array;
  dispatchesPerRun: number;
  submitsPerRun: number;
}

export async function timeProgram(device: Device, program: Program, output: Tensor, flops: number, reps: number): Promise<KernelRun> {
  let submits = 0;
  const measured = await measureRuns(
    reps,
    async (steps) => {
      program.run({}, { steps });
      return program.read(output);
    },
    async (r, work) => {
      const { ms, counted } = await timed(device, r, work);
      submits = counted.submits;
      return ms;
    },
  );
  const { msPerRun, runs } = measured;
  return {
    ms: msPerRun,
    gflops: flops / msPerRun / 1e6,
    runs,
    reps: measured.reps,
    output: Float32Array.from(measured.last),
    dispatchesPerRun: program.stats.dispatchesPerStep,
    submitsPerRun: submits / (measured.reps * runs),
  };
}

export async function kilnMatmul(device: Device, c: MatmulCase, reps: number): Promise<KernelRun> {
  const { a, b } = matmulOperands(c);
  const g = new Graph();
  const product = g.matmul(g.param('a', [c.m, c.k], a), g.param('b', [c.k, c.n], b));
  const program = await Program.compile(device, g, { outputs: [product], label: `bench-${c.id}` });
  return timeProgram(device, program, product, matmulFlops(c), reps);
}

/**
 * The gradients are built as training builds them: grad() of sum(conv2d(x, w) * dy) gives conv2d's
 * input and weight gradients of the given dy. The forward conv is not needed for them and is not run; two
 * elementwise kernels (broadcast of the sum's gradient, times dy) form dy, and the weight gradient's
 * partial sums over the batch are added by a sum: all of that is in Kiln's time.
 */
export async function kilnConv(device: Device, kind: ConvKind, reps: number): Promise<KernelRun> {
  const data = convOperands();
  const g = new Graph();
  const x = g.param('x', KILN_SHAPES.x, data.x);
  const w = g.param('w', KILN_SHAPES.w, data.w);
  const y = g.conv2d(x, w);
  let output = y;
  if (kind !== 'forward') {
    const dy = g.param('dy', KILN_SHAPES.dy, data.dy);
    const [grad] = g.grad(g.sum(g.mul(y, dy)), [kind === 'input-grad' ? x : w]);
    output = grad!;
  }
  const program = await Program.compile(device, g, { outputs: [output], label: `bench-conv-${kind}` });
  return timeProgram(device, program, output, CONV_FLOPS, reps);
}
