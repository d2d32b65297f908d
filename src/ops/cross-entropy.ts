// cross_entropy(logits [B, C], labels [B] i32) = nll_loss(log_softmax(logits, 1), labels), as
// torch.nn.functional.cross_entropy with mean reduction. No op of its own: the two kernels forward and
// the two backward (nll_loss_grad, log_softmax_grad) are each one dispatch already. Logits of higher
// rank, [B, T, V] with labels [B, T], score each position over the last axis (a language model's
// loss, as nanoGPT's F.cross_entropy(logits.view(-1, V), targets.view(-1))), the mean over all.
import { fmt, sameShape, ShapeError } from '../graph/shape';
import type { Tensor } from '../graph/tensor';
import { logSoftmax } from './log-softmax';
import { checkClassification, nllLoss } from './nll-loss';
import { opMethod, type OpMethod } from './op-method';
import { reshape } from './reshape';

export function crossEntropy(logits: Tensor, labels: Tensor): Tensor<'f32'> {
  if (logits.rank > 2) {
    if (!sameShape(labels.shape, logits.shape.slice(0, -1))) {
      throw new ShapeError(
        `cross_entropy: labels ${fmt(labels.shape)} do not match logits ${fmt(logits.shape)} (the classes on the last axis: labels ${fmt(logits.shape.slice(0, -1))})`,
      );
    }
    return crossEntropy(reshape(logits, [-1, logits.shape[logits.rank - 1]!]), reshape(labels, [-1]));
  }
  // Checked here too so that a mistake is reported in the caller's terms, not as a log_softmax error.
  checkClassification('cross_entropy', 'logits', logits, labels);
  return nllLoss(logSoftmax(logits, 1), labels);
}

export const crossEntropyMethod: OpMethod<typeof crossEntropy> = opMethod(crossEntropy, {
  cases: [
    {
      label: 'a batch of 4, 5 classes',
      operands: [
        { shape: [4, 5], lo: -3, hi: 3 },
        { shape: [4], dtype: 'i32', lo: 0, hi: 5 },
      ],
      args: (z, y) => [z, y],
    },
    {
      label: 'a [B, T, V] language-model batch',
      operands: [
        { shape: [2, 3, 5], lo: -3, hi: 3 },
        { shape: [2, 3], dtype: 'i32', lo: 0, hi: 5 },
      ],
      args: (z, y) => [z, y],
    },
    {
      label: '1000 classes',
      operands: [
        { shape: [3, 1000], lo: -5, hi: 5 },
        { shape: [3], dtype: 'i32', lo: 0, hi: 1000 },
      ],
      args: (z, y) => [z, y],
      gradient: false,
    },
  ],
  eager: { functional: 'crossEntropy' },
});
