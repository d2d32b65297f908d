// cross_entropy(logits [B, C], labels [B] i32) = nll_loss(log_softmax(logits, 1), labels), as
// torch.nn.functional.cross_entropy with mean reduction. No op of its own: the two kernels forward and
// the two backward (nll_loss_grad, log_softmax_grad) are each one dispatch already.
import type { Tensor } from '../graph/tensor';
import { logSoftmax } from './log-softmax';
import { checkClassification, nllLoss } from './nll-loss';

export function crossEntropy(logits: Tensor, labels: Tensor): Tensor {
  // Checked here too so that a mistake is reported in the caller's terms, not as a log_softmax error.
  checkClassification('cross_entropy', 'logits', logits, labels);
  return nllLoss(logSoftmax(logits, 1), labels);
}
