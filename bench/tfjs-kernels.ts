// TensorFlow.js's side of the single-kernel workloads, on the WebGPU backend: the same operands as Kiln
// (convolutions in TensorFlow's NHWC / HWIO layouts), `runs` ops queued back to back, then a data() read
// of the last result as the fence. The convolution gradients are the backend's own kernels, run through
// tf.engine().runKernel('Conv2DBackpropInput' | 'Conv2DBackpropFilter'), the kernels tf.grad of
// tf.conv2d runs.
import { CONV, CONV_FLOPS, CONV_OUT, convOperands, KILN_SHAPES, matmulFlops, matmulOperands, type ConvKind, type MatmulCase } from './kernel-cases';
import { HWIO_TO_OIHW, NCHW_TO_NHWC, NHWC_TO_NCHW, OIHW_TO_HWIO, permute4 } from './host-data';
import type { Tf } from './tfjs-device';
import { measureRuns } from './timing';

type TfTensor = ReturnType<Tf['tensor']>;

export interface TfjsKernelRun {
  ms: number;
  gflops: number;
  runs: number;
  reps: number;
  /** The last result in Kiln's layout, for the comparison. */
  output: Float32Array;
}

/** `runs` ops queued back to back, then a data() read of the last result; the result and its shape. */
async function timeOp(tf: Tf, op: () => TfTensor, reps: number) {
  return measureRuns(reps, async (runs) => {
    let last: TfTensor | null = null;
    for (let r = 0; r < runs; r++) {
      if (last) tf.dispose(last);
      last = op();
    }
    const data = (await last!.data()) as Float32Array;
    const shape = last!.shape;
    tf.dispose(last!);
    return { data, shape };
  });
}

export async function tfjsMatmul(tf: Tf, c: MatmulCase, reps: number): Promise<TfjsKernelRun> {
  const { a, b } = matmulOperands(c);
  const ta = tf.tensor2d(a, [c.m, c.k]);
  const tb = tf.tensor2d(b, [c.k, c.n]);
  try {
    const run = await timeOp(tf, () => tf.matMul(ta, tb), reps);
    return { ms: run.msPerRun, gflops: matmulFlops(c) / run.msPerRun / 1e6, runs: run.runs, reps: run.reps, output: run.last.data };
  } finally {
    tf.dispose([ta, tb]);
  }
}

export async function tfjsConv(tf: Tf, kind: ConvKind, reps: number): Promise<TfjsKernelRun> {
  const data = convOperands();
  const x = tf.tensor4d(permute4(data.x, KILN_SHAPES.x, NCHW_TO_NHWC), [CONV.batch, CONV.size, CONV.size, CONV.inChannels]);
  const filter = tf.tensor4d(permute4(data.w, KILN_SHAPES.w, OIHW_TO_HWIO), [CONV.kernel, CONV.kernel, CONV.inChannels, CONV.outChannels]);
  const dy = tf.tensor4d(permute4(data.dy, KILN_SHAPES.dy, NCHW_TO_NHWC), [CONV.batch, CONV_OUT, CONV_OUT, CONV.outChannels]);
  const conv = { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC' };
  const ops: Record<ConvKind, () => TfTensor> = {
    forward: () => tf.conv2d(x, filter, 1, 'valid'),
    'input-grad': () => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, { ...conv, inputShape: x.shape }) as TfTensor,
    'weight-grad': () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...conv, filterShape: filter.shape }) as TfTensor,
  };
  try {
    const run = await timeOp(tf, ops[kind], reps);
    const [d0, d1, d2, d3] = run.last.shape as [number, number, number, number];
    const output = permute4(run.last.data, [d0, d1, d2, d3], kind === 'weight-grad' ? HWIO_TO_OIHW : NHWC_TO_NCHW);
    return { ms: run.msPerRun, gflops: CONV_FLOPS / run.msPerRun / 1e6, runs: run.runs, reps: run.reps, output };
  } finally {
    tf.dispose([x, filter, dy]);
  }
}
