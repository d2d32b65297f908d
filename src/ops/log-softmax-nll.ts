// log_softmax_nll(logits [B, C], labels [B] i32) -> scalar: nll_loss(log_softmax(logits, 1), labels)
// in one kernel (shaders/log_softmax_nll.wgsl), so the [B, C] log-probabilities are never stored.
// Made only by the fusion pass (src/graph/fusion/log-softmax-nll.ts), after autodiff: it has no
// gradient rule. Same semantics as the pair: mean over the batch, NaN when a label is outside [0, C).
import rowStats from '../../shaders/row_max_sum_exp.wgsl';
import kernel from '../../shaders/log_softmax_nll.wgsl';
import mean from '../../shaders/nll_mean.wgsl';
import { defineOp, type CpuTensor } from './op';
import { checkClassification, validLabel } from './nll-loss';

const code = `${kernel}\n${rowStats}\n${mean}`;

/** Row b of logits as m (the row's maximum) and log(sum(exp(x - m))): log_softmax = x - m - logSum. */
export function rowLogSumExp(logits: CpuTensor, b: number): { max: number; logSum: number } {
  const classes = logits.shape[1]!;
  const row = logits.data.subarray(b * classes, (b + 1) * classes);
  const max = row.reduce((m, v) => Math.max(m, v), -Infinity);
  return { max, logSum: Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0)) };
}

export const logSoftmaxNllOp = defineOp({
  name: 'log_softmax_nll',
  madeBy: 'fusion (src/graph/fusion/): nll_loss of log_softmax',
  infer([logits, labels]) {
    checkClassification('log_softmax_nll', 'logits', logits!, labels!);
    return { shape: [], dtype: 'f32' };
  },
  lower(node) {
    const [batch, classes] = node.inputs[0]!.shape as [number, number];
    // One workgroup: a scalar loss in one dispatch, like nll_loss itself.
    return [{ code, constants: { B: batch, C: classes }, bindings: [{ input: 0 }, { input: 1 }, { output: true }], workgroups: [1, 1, 1] }];
  },
  cpu([logits, labels], _attrs, out) {
    const classes = logits!.shape[1]!;
    let total = 0;
    labels!.data.forEach((label, b) => {
      if (!validLabel(label, classes)) {
        total = NaN;
        return;
      }
      const { max, logSum } = rowLogSumExp(logits!, b);
      total += logits!.data[b * classes + label]! - max - logSum;
    });
    return { shape: out.shape, dtype: 'f32', data: Float64Array.of(-total / labels!.data.length) };
  },
});
