// 2-D average pooling of NCHW tensors, as F.avg_pool2d (fixed windows; no ceil_mode or
// divisor_override) and F.adaptive_avg_pool2d (the output size given, the windows derived), and
// their shared gradient avg_pool2d_grad, a gather. Both kernels are shaders/avg_pool2d.wgsl.
import code from '../../shaders/avg_pool2d.wgsl';
import { fmt, ShapeError, type Shape } from '../graph/shape';
import type { Tensor } from '../graph/tensor';
import { defineOp, dispatch1d, type KernelCall, type OpDef } from './op';
import { opMethod, type OpMethod } from './op-method';
import { pair, pool2dOutputShape, type Pair, type Size2 } from './pool2d-window';

/** Fixed windows (kernel, stride, padding) or adaptive ones (the output size). */
export type AvgPool2dAttrs = { adaptive: false; kernel: Pair; stride: Pair; padding: Pair; countIncludePad: boolean } | { adaptive: true; output: Pair };

interface AvgPool2dGradAttrs {
  pool: AvgPool2dAttrs;
  /** The pooled input's shape. */
  shape: Shape;
}

function outputShape(op: string, x: Shape, a: AvgPool2dAttrs): Shape {
  if (!a.adaptive) return pool2dOutputShape(op, x, { kernel: a.kernel, stride: a.stride, padding: a.padding, dilation: [1, 1] });
  if (x.length !== 4) throw new ShapeError(`${op}: input must be 4-D [N,C,H,W], got ${fmt(x)}`);
  if (!a.output.every((v) => Number.isInteger(v) && v >= 1))
    throw new ShapeError(`${op}: the output size must be positive integers, got [${a.output.join(',')}]`);
  return [x[0]!, x[1]!, a.output[0], a.output[1]];
}

/** Rows (or columns) [start, end) of window o and the divisor's extent along one axis. */
function span(a: AvgPool2dAttrs, axis: 0 | 1, o: number, size: number, out: number): { start: number; end: number; padded: number } {
  if (a.adaptive) {
    const [start, end] = [Math.floor((o * size) / out), Math.ceil(((o + 1) * size) / out)];
    return { start, end, padded: end - start };
  }
  const start = o * a.stride[axis] - a.padding[axis];
  const end = start + a.kernel[axis];
  return { start: Math.max(start, 0), end: Math.min(end, size), padded: end - start };
}

/** Visits every (output element, input element, weight) of the pooling: y[o] = Σ weight · x[i]. */
function forEachTap(x: Shape, y: Shape, a: AvgPool2dAttrs, visit: (o: number, i: number, weight: number) => void): void {
  const [n, c, h, w] = x as [number, number, number, number];
  const [oh, ow] = [y[2]!, y[3]!];
  for (let p = 0; p < n * c; p++) {
    for (let r = 0; r < oh; r++) {
      const rows = span(a, 0, r, h, oh);
      for (let s = 0; s < ow; s++) {
        const cols = span(a, 1, s, w, ow);
        const count = a.adaptive || a.countIncludePad ? rows.padded * cols.padded : (rows.end - rows.start) * (cols.end - cols.start);
        for (let i = rows.start; i < rows.end; i++) for (let j = cols.start; j < cols.end; j++) visit((p * oh + r) * ow + s, p * h * w + i * w + j, 1 / count);
      }
    }
  }
}

function constants(x: Shape, y: Shape, a: AvgPool2dAttrs, total: number): Record<string, number> {
  const geometry = { H: x[2]!, W: x[3]!, OH: y[2]!, OW: y[3]!, TOTAL: total };
  if (a.adaptive) return { ...geometry, ADAPTIVE: 1 };
  const [KH, KW] = a.kernel;
  const [SH, SW] = a.stride;
  const [PH, PW] = a.padding;
  return { ...geometry, KH, KW, SH, SW, PH, PW, ADAPTIVE: 0, INCLUDE_PAD: a.countIncludePad ? 1 : 0 };
}

const call = (entryPoint: 'forward' | 'backward', total: number, c: Record<string, number>): KernelCall => ({
  code,
  entryPoint,
  constants: c,
  bindings: [{ input: 0 }, { output: true }],
  workgroups: dispatch1d(total),
});

export const avgPool2dGradOp: OpDef<AvgPool2dGradAttrs> = defineOp<AvgPool2dGradAttrs>({
  name: 'avg_pool2d_grad',
  infer([dy], { pool, shape }) {
    const expected = outputShape('avg_pool2d_grad', shape, pool);
    if (fmt(dy!.shape) !== fmt(expected)) throw new ShapeError(`avg_pool2d_grad: the gradient has shape ${fmt(dy!.shape)}, the pooled output ${fmt(expected)}`);
    return { shape, dtype: 'f32' };
  },
  lower: (node, { pool }) => [call('backward', node.size, constants(node.shape, node.inputs[0]!.shape, pool, node.size))],
  // Linear in dy: its own gradient is the pooling again.
  grad: ({ attrs: { pool }, dy }) => [dy.graph.applyF32(avgPool2dOp, [dy], pool)],
  cpu([dy], { pool, shape }, out) {
    const data = new Float64Array(out.shape.reduce((a, b) => a * b, 1));
    forEachTap(shape, dy!.shape, pool, (o, i, weight) => (data[i] += weight * dy!.data[o]!));
    return { shape: out.shape, dtype: 'f32', data };
  },
});

export const avgPool2dOp: OpDef<AvgPool2dAttrs> = defineOp<AvgPool2dAttrs>({
  name: 'avg_pool2d',
  infer([x], attrs) {
    if (x!.dtype !== 'f32') throw new ShapeError(`avg_pool2d: input must be f32, got ${x!.dtype}${fmt(x!.shape)}`);
    return { shape: outputShape(attrs.adaptive ? 'adaptive_avg_pool2d' : 'avg_pool2d', x!.shape, attrs), dtype: 'f32' };
  },
  lower: (node, attrs) => [call('forward', node.size, constants(node.inputs[0]!.shape, node.shape, attrs, node.size))],
  grad: ({ inputs: [x], attrs, dy }) => [dy.graph.applyF32(avgPool2dGradOp, [dy], { pool: attrs, shape: x!.shape })],
  cpu([x], attrs, out) {
    const data = new Float64Array(out.shape.reduce((a, b) => a * b, 1));
    forEachTap(x!.shape, out.shape, attrs, (o, i, weight) => (data[o] += weight * x!.data[i]!));
    return { shape: out.shape, dtype: 'f32', data };
  },
});

/** torch.nn.functional.avg_pool2d(x, kernel, stride = kernel, padding = 0, count_include_pad = true) for x [N,C,H,W]. */
export function avgPool2d(x: Tensor, kernel: Size2, stride?: Size2, padding: Size2 = 0, countIncludePad = true): Tensor<'f32'> {
  const k = pair(kernel);
  return x.graph.applyF32(avgPool2dOp, [x], { adaptive: false, kernel: k, stride: pair(stride ?? k), padding: pair(padding), countIncludePad });
}

/** torch.nn.functional.adaptive_avg_pool2d(x, outputSize): [N,C,H,W] to [N,C,OH,OW] (1: global average pooling). */
export function adaptiveAvgPool2d(x: Tensor, outputSize: Size2): Tensor<'f32'> {
  return x.graph.applyF32(avgPool2dOp, [x], { adaptive: true, output: pair(outputSize) });
}

export const avgPool2dMethod: OpMethod<typeof avgPool2d, 'derived-functional'> = opMethod(avgPool2d, {
  cases: [
    { label: '2x2 windows', operands: [{ shape: [2, 3, 6, 6] }], args: (x) => [x, 2] },
    { label: '3x3 windows, stride 2, padding 1 (counted)', operands: [{ shape: [1, 2, 7, 8] }], args: (x) => [x, 3, 2, 1] },
    { label: '3x3 windows, padding 1 not counted', operands: [{ shape: [1, 2, 5, 5] }], args: (x) => [x, 3, 1, 1, false] },
    { label: 'non-square windows, overlapping', operands: [{ shape: [1, 1, 5, 9] }], args: (x) => [x, [2, 3], [1, 2]] },
  ],
  eager: 'derived-functional',
});

export const adaptiveAvgPool2dMethod: OpMethod<typeof adaptiveAvgPool2d, 'derived-functional'> = opMethod(adaptiveAvgPool2d, {
  cases: [
    { label: 'global average pooling', operands: [{ shape: [2, 3, 5, 7] }], args: (x) => [x, 1] },
    { label: 'uneven, overlapping windows (7x5 to 3x2)', operands: [{ shape: [1, 2, 7, 5] }], args: (x) => [x, [3, 2]] },
    { label: 'more windows than rows (3x3 to 5x4)', operands: [{ shape: [1, 1, 3, 3] }], args: (x) => [x, [5, 4]] },
  ],
  eager: 'derived-functional',
});
