// log_softmax_nll_grad(logits [B, C], seed [] f32, labels [B] i32) -> [B, C]: the gradient of
// nll_loss(log_softmax(logits, 1), labels) with respect to the logits, given the loss gradient seed:
//   (softmax(logits) - onehot(labels)) * seed / B
// That is log_softmax_grad(ls, nll_loss_grad(seed, labels)) with ls = log_softmax(logits): the inner
// gradient is -seed / B at the label, so dx = dy - exp(ls) * sum(dy) = (exp(ls) - onehot) * seed / B.
// One kernel (shaders/log_softmax_nll_grad.wgsl) instead of two, reading the logits rather than ls.
// Made only by the fusion pass (src/graph/fusion/log-softmax-nll.ts), after autodiff: no gradient rule.
// A row whose label is outside [0, C) is all NaN, as the unfused pair makes it.
import rowStats from '../../shaders/row_max_sum_exp.wgsl';
import kernel from '../../shaders/log_softmax_nll_grad.wgsl';
import rowCombine from '../../shaders/row_combine.wgsl';
import { fmt, ShapeError } from '../graph/shape';
import { axisKernel } from './axis-kernel';
import { rowLogSumExp } from './log-softmax-nll';
import { checkClassification, validLabel } from './nll-loss';
import { defineOp } from './op';

const code = `${kernel}\n${rowStats}\n${rowCombine}`;

export const logSoftmaxNllGradOp = defineOp({
  name: 'log_softmax_nll_grad',
  madeBy: 'fusion (src/graph/fusion/): the backward of log_softmax_nll',
  infer([logits, seed, labels]) {
    checkClassification('log_softmax_nll_grad', 'logits', logits!, labels!);
    if (seed!.dtype !== 'f32' || seed!.shape.length !== 0)
      throw new ShapeError(`log_softmax_nll_grad: the loss gradient must be an f32 scalar, got ${seed!.dtype}${fmt(seed!.shape)}`);
    return { shape: logits!.shape, dtype: 'f32' };
  },
  lower(node) {
    const [batch, classes] = node.shape as [number, number];
    // The rows-or-wide choice (entry point and workgroups) of every kernel along an axis; the shader
    // itself only needs B and C, the class axis being the last.
    const { entryPoint, workgroups } = axisKernel('log_softmax_nll_grad', code, node.shape, 1, []);
    return [{ code, entryPoint, constants: { B: batch, C: classes }, bindings: [{ input: 0 }, { input: 1 }, { input: 2 }, { output: true }], workgroups }];
  },
  cpu([logits, seed, labels], _attrs, out) {
    const [batch, classes] = logits!.shape as [number, number];
    const scale = seed!.data[0]! / batch;
    const data = new Float64Array(batch * classes);
    labels!.data.forEach((label, b) => {
      if (!validLabel(label, classes)) {
        data.fill(NaN, b * classes, (b + 1) * classes);
        return;
      }
      const { max, logSum } = rowLogSumExp(logits!, b);
      for (let c = 0; c < classes; c++) {
        const p = Math.exp(logits!.data[b * classes + c]! - max - logSum);
        data[b * classes + c] = (p - (c === label ? 1 : 0)) * scale;
      }
    });
    return { shape: out.shape, dtype: 'f32', data };
  },
});
