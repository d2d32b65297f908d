// batch_norm, as torch.nn.functional.batch_norm over [N, C, *] inputs. In training mode each channel
// is normalized with its batch statistics by one kernel (shaders/batch_norm.wgsl), its input
// gradient is one kernel (shaders/batch_norm_grad.wgsl) that recomputes the statistics, and the
// weight and bias gradients are channel sums. Running statistics, when given, move toward the
// batch's (batch_norm_stats, then ema_update, in place). In evaluation mode the running statistics
// normalize, composed of elementwise ops.
import rowCombine from '../../shaders/row_combine.wgsl';
import channel from '../../shaders/batch_norm_channel.wgsl';
import forwardSource from '../../shaders/batch_norm.wgsl';
import gradSource from '../../shaders/batch_norm_grad.wgsl';
import statsSource from '../../shaders/batch_norm_stats.wgsl';
import { fmt, sameShape, ShapeError, sizeOf, type Shape } from '../graph/shape';
import type { Tensor } from '../graph/tensor';
import { add } from './add';
import { axisVariants } from './axis-kernel';
import { emaUpdate } from './ema-update';
import { mul } from './mul';
import { defineOp, tunableCall, type CpuTensor, type OpDef, type TensorMeta } from './op';
import { opMethod, type OpMethod } from './op-method';
import { pow } from './pow';
import { reshape } from './reshape';
import { sub } from './sub';
import { sum } from './sum';

const withChannel = (source: string): string => `${source}\n${channel}\n${rowCombine}`;

export interface BatchNormAttrs {
  eps: number;
  weight: boolean;
  bias: boolean;
}

/** [N, C, S]: the batch, the channels and the flattened spatial size of an input. */
function layout(op: string, x: TensorMeta): [number, number, number] {
  if (x.dtype !== 'f32') throw new ShapeError(`${op}: input must be f32, got ${x.dtype}${fmt(x.shape)}`);
  if (x.shape.length < 2) throw new ShapeError(`${op}: input must be [N, C, ...] (rank 2 or more), got ${fmt(x.shape)}`);
  const [n, c] = x.shape as [number, number];
  return [n, c, sizeOf(x.shape.slice(2))];
}

function constants(x: TensorMeta, eps: number): Record<string, number> {
  const [n, c, s] = layout('batch_norm', x);
  return { C: c, S: s, M: n * s, EPS: eps };
}

/** Each channel's mean and biased variance, in float64. */
function channelStats(x: CpuTensor): { mean: Float64Array; variance: Float64Array } {
  const [n, c, s] = layout('batch_norm', x);
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  const m = n * s;
  const index = (ch: number, k: number) => Math.floor(k / s) * c * s + ch * s + (k % s);
  for (let ch = 0; ch < c; ch++) {
    for (let k = 0; k < m; k++) mean[ch] += x.data[index(ch, k)]!;
    mean[ch] /= m;
    for (let k = 0; k < m; k++) variance[ch] += (x.data[index(ch, k)]! - mean[ch]!) ** 2;
    variance[ch] /= m;
  }
  return { mean, variance };
}

const channelOf = (x: TensorMeta, i: number): number => {
  const [, c, s] = layout('batch_norm', x);
  return Math.floor(i / s) % c;
};

function checkChannelParams(op: string, x: TensorMeta, params: readonly TensorMeta[], names: readonly string[]): void {
  const c = x.shape[1]!;
  params.forEach((p, k) => {
    if (p.dtype !== 'f32' || !sameShape(p.shape, [c]))
      throw new ShapeError(`${op}: ${names[k]} is ${p.dtype}${fmt(p.shape)}, expected f32[${c}] (one per channel)`);
  });
}

/** dx of training-mode batch_norm from (x, [weight], dy): one kernel. */
export const batchNormGradOp = defineOp<BatchNormAttrs>({
  name: 'batch_norm_grad',
  infer(inputs) {
    const x = inputs[0]!;
    layout('batch_norm_grad', x);
    const dy = inputs[inputs.length - 1]!;
    if (!sameShape(dy.shape, x.shape)) throw new ShapeError(`batch_norm_grad: gradient ${fmt(dy.shape)} and input ${fmt(x.shape)} differ`);
    return { shape: x.shape, dtype: 'f32' };
  },
  lower(node, attrs) {
    const c = constants(node, attrs.eps);
    return [
      tunableCall(
        {
          label: 'batch_norm_grad',
          constants: { ...c, HAS_W: attrs.weight ? 1 : 0 },
          bindings: [{ input: 0 }, { input: attrs.weight ? 1 : 0 }, { input: attrs.weight ? 2 : 1 }, { output: true }],
        },
        axisVariants(withChannel(gradSource), c['C']!, c['M']!),
      ),
    ];
  },
  cpu(inputs, attrs, out) {
    const x = inputs[0]!;
    const w = attrs.weight ? inputs[1]! : null;
    const dy = inputs[inputs.length - 1]!;
    const [n, c, s] = layout('batch_norm_grad', x);
    const { mean, variance } = channelStats(x);
    const rstd = variance.map((v) => 1 / Math.sqrt(v + attrs.eps));
    const sg = new Float64Array(c);
    const sgx = new Float64Array(c);
    const xhat = (i: number, ch: number) => (x.data[i]! - mean[ch]!) * rstd[ch]!;
    for (let i = 0; i < x.data.length; i++) {
      const ch = channelOf(x, i);
      sg[ch] += dy.data[i]! * (w ? w.data[ch]! : 1);
      sgx[ch] += dy.data[i]! * (w ? w.data[ch]! : 1) * xhat(i, ch);
    }
    const data = new Float64Array(x.data.length);
    for (let i = 0; i < x.data.length; i++) {
      const ch = channelOf(x, i);
      const g = dy.data[i]! * (w ? w.data[ch]! : 1);
      data[i] = rstd[ch]! * (g - sg[ch]! / (n * s) - xhat(i, ch) * (sgx[ch]! / (n * s)));
    }
    return { shape: out.shape, dtype: 'f32', data };
  },
});

export const batchNormTrainOp: OpDef<BatchNormAttrs> = defineOp<BatchNormAttrs>({
  name: 'batch_norm',
  infer(inputs, attrs) {
    const x = inputs[0]!;
    const [n, , s] = layout('batch_norm', x);
    if (n * s < 2) throw new ShapeError(`batch_norm: training needs more than one value per channel, got input ${fmt(x.shape)}`);
    const expected = 1 + (attrs.weight ? 1 : 0) + (attrs.bias ? 1 : 0);
    if (inputs.length !== expected) throw new ShapeError(`batch_norm: expected ${expected} inputs, got ${inputs.length}`);
    checkChannelParams('batch_norm', x, inputs.slice(1), [...(attrs.weight ? ['weight'] : []), ...(attrs.bias ? ['bias'] : [])]);
    return { shape: x.shape, dtype: 'f32' };
  },
  lower(node, attrs) {
    const c = constants(node, attrs.eps);
    const weight = attrs.weight ? 1 : 0;
    return [
      tunableCall(
        {
          label: 'batch_norm',
          constants: { ...c, HAS_W: weight, HAS_B: attrs.bias ? 1 : 0 },
          bindings: [{ input: 0 }, { input: attrs.weight ? 1 : 0 }, { input: attrs.bias ? 1 + weight : 0 }, { output: true }],
        },
        axisVariants(withChannel(forwardSource), c['C']!, c['M']!),
      ),
    ];
  },
  grad({ inputs, attrs, dy }) {
    const x = inputs[0]!;
    const w = attrs.weight ? inputs[1]! : null;
    const others = Array.from({ length: x.rank }, (_, i) => i).filter((i) => i !== 1);
    const channelSum = (t: Tensor): Tensor => sum(t, others);
    const dx = x.graph.applyF32(batchNormGradOp, w ? [x, w, dy] : [x, dy], attrs);
    const normalized = attrs.weight ? x.graph.applyF32(batchNormTrainOp, [x], { ...attrs, weight: false, bias: false }) : null;
    const dw = normalized ? channelSum(mul(dy, normalized)) : null;
    const db = attrs.bias ? channelSum(dy) : null;
    return [dx, ...(attrs.weight ? [dw] : []), ...(attrs.bias ? [db] : [])];
  },
  cpu(inputs, attrs, out) {
    const x = inputs[0]!;
    const w = attrs.weight ? inputs[1]! : null;
    const b = attrs.bias ? inputs[attrs.weight ? 2 : 1]! : null;
    const { mean, variance } = channelStats(x);
    const data = new Float64Array(x.data.length);
    for (let i = 0; i < x.data.length; i++) {
      const ch = channelOf(x, i);
      data[i] = ((x.data[i]! - mean[ch]!) / Math.sqrt(variance[ch]! + attrs.eps)) * (w ? w.data[ch]! : 1) + (b ? b.data[ch]! : 0);
    }
    return { shape: out.shape, dtype: 'f32', data };
  },
  /** About eight operations per element: two passes of statistics and the affine map. */
  flops: (node) => 8 * node.size,
});

/** Each channel's batch mean and unbiased variance, as [2, C]: what the running statistics move toward. */
export const batchNormStatsOp = defineOp({
  name: 'batch_norm_stats',
  infer([x]) {
    const [n, c, s] = layout('batch_norm_stats', x!);
    if (n * s < 2) throw new ShapeError(`batch_norm_stats: an unbiased variance needs more than one value per channel, got input ${fmt(x!.shape)}`);
    return { shape: [2, c], dtype: 'f32' };
  },
  lower(node) {
    const c = constants(node.inputs[0]!, 0);
    return [
      tunableCall(
        { label: 'batch_norm_stats', constants: c, bindings: [{ input: 0 }, { output: true }] },
        axisVariants(withChannel(statsSource), c['C']!, c['M']!),
      ),
    ];
  },
  cpu([x], _attrs, out) {
    const [n, c, s] = layout('batch_norm_stats', x!);
    const { mean, variance } = channelStats(x!);
    const data = new Float64Array(2 * c);
    data.set(mean);
    data.set(
      variance.map((v) => (v * n * s) / (n * s - 1)),
      c,
    );
    return { shape: out.shape, dtype: 'f32', data };
  },
});

/** The [2, C] batch statistics (means, then unbiased variances) of an [N, C, *] input. */
export const batchNormStats = (x: Tensor): Tensor<'f32'> => x.graph.applyF32(batchNormStatsOp, [x], {});

/**
 * torch.nn.functional.batch_norm: in training mode, normalizes each channel of x [N, C, *] with the
 * batch's statistics and, where runningMean and runningVar are given (variables, updated in place
 * once per step), moves them toward the batch's by `momentum`; in evaluation mode, normalizes with
 * the running statistics. weight and bias are per channel and optional.
 */
export function batchNorm(
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight: Tensor | null = null,
  bias: Tensor | null = null,
  training = false,
  momentum = 0.1,
  eps = 1e-5,
): Tensor<'f32'> {
  if (!(eps > 0)) throw new RangeError(`batch_norm: eps must be positive, got ${eps}`);
  if (!(momentum >= 0 && momentum <= 1)) throw new RangeError(`batch_norm: momentum must be in [0, 1], got ${momentum}`);
  if ((runningMean === null) !== (runningVar === null)) throw new ShapeError('batch_norm: give both running statistics (mean and variance) or neither');
  layout('batch_norm', x);
  const c = x.shape[1]!;
  const present = [runningMean, runningVar, weight, bias]
    .map((t, k) => [t, ['running_mean', 'running_var', 'weight', 'bias'][k]!] as const)
    .filter((e) => e[0] !== null);
  checkChannelParams(
    'batch_norm',
    x,
    present.map((e) => e[0]!),
    present.map((e) => e[1]),
  );
  const g = x.graph;
  if (training) {
    const y = g.applyF32(batchNormTrainOp, [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])], { eps, weight: weight !== null, bias: bias !== null });
    if (runningMean && runningVar) {
      const stats = batchNormStats(x);
      emaUpdate(runningMean, stats, momentum, 0);
      emaUpdate(runningVar, stats, momentum, c);
    }
    return y;
  }
  if (!runningMean || !runningVar) throw new ShapeError('batch_norm: evaluation mode normalizes with the running statistics; none were given');
  const perChannel: Shape = [c, ...x.shape.slice(2).map(() => 1)];
  let scale: Tensor = pow(add(runningVar, eps), -0.5);
  if (weight) scale = mul(scale, weight);
  let y: Tensor = mul(sub(x, reshape(runningMean, perChannel)), reshape(scale, perChannel));
  if (bias) y = add(y, reshape(bias, perChannel));
  return y as Tensor<'f32'>;
}

export const batchNormMethod: OpMethod<typeof batchNorm, 'derived-functional'> = opMethod(batchNorm, {
  cases: [
    {
      label: 'training, [N, C, H, W] with weight and bias',
      operands: [{ shape: [3, 4, 5, 6] }, { shape: [4] }, { shape: [4] }],
      args: (x, w, b) => [x, null, null, w, b, true],
    },
    { label: 'training, [N, C], no affine, offset far from 0', operands: [{ shape: [6, 5], lo: 40, hi: 42 }], args: (x) => [x, null, null, null, null, true] },
    {
      label: 'training, channels longer than a workgroup',
      operands: [{ shape: [4, 3, 10, 10] }, { shape: [3] }],
      args: (x, w) => [x, null, null, w, null, true],
    },
    {
      label: 'evaluation with running statistics',
      operands: [{ shape: [2, 3, 4, 4] }, { shape: [3] }, { shape: [3], lo: 0.5, hi: 2 }, { shape: [3] }, { shape: [3] }],
      args: (x, m, v, w, b) => [x, m, v, w, b, false],
    },
  ],
  eager: 'derived-functional',
});

export const batchNormStatsMethod: OpMethod<typeof batchNormStats> = opMethod(batchNormStats, {
  cases: [
    { label: 'means and unbiased variances of [N, C, H, W]', operands: [{ shape: [3, 4, 5, 5], lo: 2, hi: 5 }], args: (x) => [x], gradient: false },
    { label: 'of [N, C]', operands: [{ shape: [7, 3] }], args: (x) => [x], gradient: false },
  ],
  eager: { graphOnly: 'the statistics BatchNorm modules move their running statistics toward; use the module or functional.batchNorm' },
});
