// nll_loss(logProbs [B, C], labels [B] i32) -> scalar, as torch.nn.functional.nll_loss (mean
// reduction), with its dedicated backward op. Also the [B, C] + [B] checks shared by cross_entropy
// and accuracy. Labels outside [0, C) give NaN (see shaders/nll_loss.wgsl).
import kernel from '../../shaders/nll_loss.wgsl';
import mean from '../../shaders/nll_mean.wgsl';
import gradCode from '../../shaders/nll_loss_grad.wgsl';
import { fmt, ShapeError } from '../graph/shape';
import type { Tensor } from '../graph/tensor';
import { defineOp, dispatch1d, type TensorMeta } from './op';
import { opMethod, type OpMethod } from './op-method';

const code = `${kernel}\n${mean}`;

/**
 * Checks scores [B, C] f32 and labels [B] i32 for `op`, naming the scores `what`
 * ('log-probabilities', 'logits'); returns B and C.
 */
export function checkClassification(op: string, what: string, scores: TensorMeta, labels: TensorMeta): { batch: number; classes: number } {
  if (scores.dtype !== 'f32') throw new ShapeError(`${op}: ${what} must be f32, got ${scores.dtype}`);
  if (scores.shape.length !== 2) throw new ShapeError(`${op}: ${what} must be [batch, classes], got ${fmt(scores.shape)}`);
  if (labels.dtype !== 'i32') throw new ShapeError(`${op}: labels must be i32, got ${labels.dtype}`);
  if (labels.shape.length !== 1) throw new ShapeError(`${op}: labels must be a vector [batch], got ${fmt(labels.shape)}`);
  const [batch, classes] = scores.shape as [number, number];
  if (labels.shape[0] !== batch) throw new ShapeError(`${op}: labels have ${labels.shape[0]} entries but ${what} have ${batch} rows`);
  return { batch, classes };
}

/** A label usable as an index into `classes` columns; anything else makes the results NaN. */
export const validLabel = (label: number, classes: number): boolean => Number.isInteger(label) && label >= 0 && label < classes;

export interface NllLossGradAttrs {
  classes: number;
}

/** d nll_loss / d logProbs from the loss gradient dy (a scalar) and the labels. */
export const nllLossGradOp = defineOp<NllLossGradAttrs>({
  name: 'nll_loss_grad',
  infer([dy, labels], { classes }) {
    if (dy!.dtype !== 'f32' || dy!.shape.length !== 0)
      throw new ShapeError(`nll_loss_grad: the loss gradient must be an f32 scalar, got ${dy!.dtype}${fmt(dy!.shape)}`);
    if (labels!.dtype !== 'i32' || labels!.shape.length !== 1)
      throw new ShapeError(`nll_loss_grad: labels must be an i32 vector, got ${labels!.dtype}${fmt(labels!.shape)}`);
    if (!Number.isInteger(classes) || classes < 1) throw new ShapeError(`nll_loss_grad: classes must be a positive integer, got ${classes}`);
    return { shape: [labels!.shape[0]!, classes], dtype: 'f32' };
  },
  lower(node, { classes }) {
    const batch = node.shape[0]!;
    return [
      {
        code: gradCode,
        constants: { B: batch, C: classes },
        bindings: [{ input: 0 }, { input: 1 }, { output: true }],
        workgroups: dispatch1d(batch * classes),
      },
    ];
  },
  cpu([dy, labels], { classes }, out) {
    const batch = labels!.data.length;
    const data = new Float64Array(batch * classes);
    labels!.data.forEach((label, b) => {
      if (validLabel(label, classes)) data[b * classes + label] = -dy!.data[0]! / batch;
      else data.fill(NaN, b * classes, (b + 1) * classes);
    });
    return { shape: out.shape, dtype: 'f32', data };
  },
});

export const nllLossOp = defineOp({
  name: 'nll_loss',
  infer([logProbs, labels]) {
    checkClassification('nll_loss', 'log-probabilities', logProbs!, labels!);
    return { shape: [], dtype: 'f32' };
  },
  lower(node) {
    const [batch, classes] = node.inputs[0]!.shape as [number, number];
    return [{ code, constants: { B: batch, C: classes }, bindings: [{ input: 0 }, { input: 1 }, { output: true }], workgroups: [1, 1, 1] }];
  },
  cpu([logProbs, labels], _attrs, out) {
    const classes = logProbs!.shape[1]!;
    let total = 0;
    labels!.data.forEach((label, b) => (total += validLabel(label, classes) ? logProbs!.data[b * classes + label]! : NaN));
    return { shape: out.shape, dtype: 'f32', data: Float64Array.of(-total / labels!.data.length) };
  },
  // No gradient to the integer labels.
  grad: ({ inputs: [logProbs, labels], dy }) => [dy.graph.apply(nllLossGradOp, [dy, labels!], { classes: logProbs!.shape[1]! }), null],
});

/** -mean over b of logProbs[b, labels[b]], as torch.nn.functional.nll_loss: a scalar (shape []). */
export const nllLoss = (logProbs: Tensor, labels: Tensor): Tensor<'f32'> => logProbs.graph.applyF32(nllLossOp, [logProbs, labels], {});

export const nllLossMethod: OpMethod<typeof nllLoss> = opMethod(nllLoss, {
  cases: [
    { label: 'a batch of 5, 7 classes', operands: [{ shape: [5, 7] }, { shape: [5], dtype: 'i32', lo: 0, hi: 7 }], args: (lp, y) => [lp, y] },
    { label: 'one class', operands: [{ shape: [3, 1] }, { shape: [3], dtype: 'i32', lo: 0, hi: 1 }], args: (lp, y) => [lp, y] },
  ],
  eager: { functional: 'nllLoss' },
});
