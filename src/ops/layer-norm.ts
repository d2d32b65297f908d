// layer_norm, as torch.nn.functional.layer_norm: each row over the trailing `normalizedShape` axes is
// normalized to mean 0 and variance 1 (biased, over the row), then scaled by `weight` and shifted by
// `bias` where given. One kernel forward (shaders/layer_norm.wgsl) and one for the input gradient
// (shaders/layer_norm_grad.wgsl), each recomputing the row's statistics rather than storing them, in
// the row kernels' two forms (an invocation or a workgroup per row, src/ops/axis-kernel.ts); the weight and bias gradients are sums over the rows, as graph ops.
import rowCombine from '../../shaders/row_combine.wgsl';
import forwardSource from '../../shaders/layer_norm.wgsl';
import gradSource from '../../shaders/layer_norm_grad.wgsl';
import stats from '../../shaders/layer_norm_stats.wgsl';
import { fmt, sameShape, ShapeError, sizeOf, type Shape } from '../graph/shape';
import type { Tensor } from '../graph/tensor';
import { mul } from './mul';
import { axisVariants } from './axis-kernel';
import { defineOp, tunableCall, type CpuTensor, type OpDef, type TensorMeta } from './op';
import { opMethod, type OpMethod } from './op-method';
import { reshape } from './reshape';
import { sum } from './sum';

const forwardCode = `${forwardSource}\n${stats}\n${rowCombine}`;
const gradCode = `${gradSource}\n${stats}\n${rowCombine}`;

export interface LayerNormAttrs {
  /** The normalized shape: the trailing axes of the input that make one row. */
  shape: Shape;
  eps: number;
  weight: boolean;
  bias: boolean;
}

const rowsOf = (x: TensorMeta, attrs: LayerNormAttrs): [number, number] => {
  const d = sizeOf(attrs.shape);
  return [sizeOf(x.shape) / d, d];
};

function checkInput(op: string, x: TensorMeta, shape: Shape): void {
  if (x.dtype !== 'f32') throw new ShapeError(`${op}: input must be f32, got ${x.dtype}${fmt(x.shape)}`);
  const trailing = x.shape.slice(x.shape.length - shape.length);
  if (shape.length === 0 || shape.length > x.shape.length || !sameShape(trailing, shape)) {
    throw new ShapeError(`${op}: the normalized shape ${fmt(shape)} is not the trailing shape of the input ${fmt(x.shape)}`);
  }
}

/** Mean and 1/std of each row, in float64. */
function rowStats(x: CpuTensor, rows: number, d: number, eps: number): { mean: Float64Array; rstd: Float64Array } {
  const mean = new Float64Array(rows);
  const rstd = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let i = 0; i < d; i++) s += x.data[r * d + i]!;
    mean[r] = s / d;
    let q = 0;
    for (let i = 0; i < d; i++) q += (x.data[r * d + i]! - mean[r]!) ** 2;
    rstd[r] = 1 / Math.sqrt(q / d + eps);
  }
  return { mean, rstd };
}

/** dx of layer_norm from (x, [weight], dy): one kernel. */
export const layerNormGradOp = defineOp<LayerNormAttrs>({
  name: 'layer_norm_grad',
  infer(inputs, attrs) {
    const x = inputs[0]!;
    checkInput('layer_norm_grad', x, attrs.shape);
    const dy = inputs[inputs.length - 1]!;
    if (!sameShape(dy.shape, x.shape)) throw new ShapeError(`layer_norm_grad: gradient ${fmt(dy.shape)} and input ${fmt(x.shape)} differ`);
    return { shape: x.shape, dtype: 'f32' };
  },
  lower(node, attrs) {
    const [rows, d] = rowsOf(node, attrs);
    return [
      tunableCall(
        {
          label: 'layer_norm_grad',
          constants: { D: d, ROWS: rows, EPS: attrs.eps, HAS_W: attrs.weight ? 1 : 0 },
          bindings: [{ input: 0 }, { input: attrs.weight ? 1 : 0 }, { input: attrs.weight ? 2 : 1 }, { output: true }],
        },
        axisVariants(gradCode, rows, d),
      ),
    ];
  },
  cpu(inputs, attrs, out) {
    const x = inputs[0]!;
    const w = attrs.weight ? inputs[1]! : null;
    const dy = inputs[inputs.length - 1]!;
    const [rows, d] = rowsOf(x, attrs);
    const { mean, rstd } = rowStats(x, rows, d, attrs.eps);
    const data = new Float64Array(rows * d);
    for (let r = 0; r < rows; r++) {
      const g = Float64Array.from({ length: d }, (_, i) => dy.data[r * d + i]! * (w ? w.data[i]! : 1));
      const xhat = Float64Array.from({ length: d }, (_, i) => (x.data[r * d + i]! - mean[r]!) * rstd[r]!);
      const meanG = g.reduce((a, v) => a + v, 0) / d;
      const meanGx = g.reduce((a, v, i) => a + v * xhat[i]!, 0) / d;
      for (let i = 0; i < d; i++) data[r * d + i] = rstd[r]! * (g[i]! - meanG - xhat[i]! * meanGx);
    }
    return { shape: out.shape, dtype: 'f32', data };
  },
});

export const layerNormOp: OpDef<LayerNormAttrs> = defineOp<LayerNormAttrs>({
  name: 'layer_norm',
  infer(inputs, attrs) {
    const x = inputs[0]!;
    checkInput('layer_norm', x, attrs.shape);
    const expected = 1 + (attrs.weight ? 1 : 0) + (attrs.bias ? 1 : 0);
    if (inputs.length !== expected) throw new ShapeError(`layer_norm: expected ${expected} inputs, got ${inputs.length}`);
    inputs.slice(1).forEach((p, k) => {
      const what = attrs.weight && k === 0 ? 'weight' : 'bias';
      if (p.dtype !== 'f32' || !sameShape(p.shape, attrs.shape))
        throw new ShapeError(`layer_norm: ${what} is ${p.dtype}${fmt(p.shape)}, expected f32${fmt(attrs.shape)} (the normalized shape)`);
    });
    return { shape: x.shape, dtype: 'f32' };
  },
  lower(node, attrs) {
    const [rows, d] = rowsOf(node, attrs);
    const weight = attrs.weight ? 1 : 0;
    return [
      tunableCall(
        {
          label: 'layer_norm',
          constants: { D: d, ROWS: rows, EPS: attrs.eps, HAS_W: weight, HAS_B: attrs.bias ? 1 : 0 },
          bindings: [{ input: 0 }, { input: attrs.weight ? 1 : 0 }, { input: attrs.bias ? 1 + weight : 0 }, { output: true }],
        },
        axisVariants(forwardCode, rows, d),
      ),
    ];
  },
  grad({ inputs, attrs, dy }) {
    const x = inputs[0]!;
    const w = attrs.weight ? inputs[1]! : null;
    const lead = Array.from({ length: x.rank - attrs.shape.length }, (_, i) => i);
    const rowSum = (t: Tensor): Tensor => (lead.length ? sum(t, lead) : t);
    const dx = x.graph.applyF32(layerNormGradOp, w ? [x, w, dy] : [x, dy], attrs);
    const normalized = attrs.weight ? x.graph.applyF32(layerNormOp, [x], { ...attrs, weight: false, bias: false }) : null;
    const dw = normalized ? reshape(rowSum(mul(dy, normalized)), attrs.shape) : null;
    const db = attrs.bias ? reshape(rowSum(dy), attrs.shape) : null;
    return [dx, ...(attrs.weight ? [dw] : []), ...(attrs.bias ? [db] : [])];
  },
  cpu(inputs, attrs, out) {
    const x = inputs[0]!;
    const w = attrs.weight ? inputs[1]! : null;
    const b = attrs.bias ? inputs[attrs.weight ? 2 : 1]! : null;
    const [rows, d] = rowsOf(x, attrs);
    const { mean, rstd } = rowStats(x, rows, d, attrs.eps);
    const data = new Float64Array(rows * d);
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < d; i++) {
        data[r * d + i] = (x.data[r * d + i]! - mean[r]!) * rstd[r]! * (w ? w.data[i]! : 1) + (b ? b.data[i]! : 0);
      }
    }
    return { shape: out.shape, dtype: 'f32', data };
  },
  /** About eight operations per element: two passes of statistics and the affine map. */
  flops: (node) => 8 * node.size,
});

/**
 * Normalizes over the trailing `normalizedShape` axes, as torch.nn.functional.layer_norm; `weight`
 * and `bias` (of the normalized shape) are optional.
 */
export function layerNorm(x: Tensor, normalizedShape: Shape | number, weight: Tensor | null = null, bias: Tensor | null = null, eps = 1e-5): Tensor<'f32'> {
  const shape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
  if (!(eps > 0)) throw new RangeError(`layer_norm: eps must be positive, got ${eps}`);
  const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  return x.graph.applyF32(layerNormOp, inputs, { shape, eps, weight: weight !== null, bias: bias !== null });
}

export const layerNormMethod: OpMethod<typeof layerNorm, 'derived'> = opMethod(layerNorm, {
  cases: [
    { label: 'rows of 24 with a weight and a bias', operands: [{ shape: [5, 24] }, { shape: [24] }, { shape: [24] }], args: (x, w, b) => [x, [24], w, b] },
    { label: 'no affine parameters', operands: [{ shape: [3, 7], lo: -3, hi: 3 }], args: (x) => [x, 7] },
    {
      label: 'two normalized axes of a [B, T, C] input',
      operands: [{ shape: [2, 3, 4, 5] }, { shape: [4, 5] }, { shape: [4, 5] }],
      args: (x, w, b) => [x, [4, 5], w, b],
    },
    {
      label: 'a row longer than a workgroup, offset far from 0',
      operands: [{ shape: [2, 300], lo: 40, hi: 42 }, { shape: [300] }],
      args: (x, w) => [x, 300, w],
    },
    { label: 'only a bias', operands: [{ shape: [4, 6] }, { shape: [6] }], args: (x, b) => [x, 6, null, b] },
  ],
});
