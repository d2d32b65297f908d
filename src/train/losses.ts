// The `loss` namespace: loss.mse(pred, target), loss.crossEntropy(logits, labels), loss.nll(logProbs, labels).
export { mseLoss as mse } from '../ops/mse-loss';
export { crossEntropy } from '../ops/cross-entropy';
export { nllLoss as nll } from '../ops/nll-loss';
