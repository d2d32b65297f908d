// log_softmax: the forward and backward kernels are those of softmax (shaders/softmax.wgsl and
// shaders/softmax_grad.wgsl with LOG = true); this file names the formulas.
import type { Tensor } from '../graph/tensor';
import { applySoftmax, defineSoftmax, rowMax } from './softmax';
import { opMethod, type OpMethod } from './op-method';

export const { op: logSoftmaxOp, gradOp: logSoftmaxGradOp } = defineSoftmax({
  name: 'log_softmax',
  log: true,
  // (x - m) - log(sum(exp(x - m))): finite however large the logits, unlike log(softmax(x)).
  forward(x) {
    const m = rowMax(x);
    const logSum = Math.log(x.reduce((acc, v) => acc + Math.exp(v - m), 0));
    return x.map((v) => v - m - logSum);
  },
  // dx = dy - exp(y) * sum(dy)
  backward(y, dy) {
    const t = dy.reduce((a, b) => a + b, 0);
    return y.map((v, i) => dy[i]! - Math.exp(v) * t);
  },
});

/** log(softmax(x)) along `axis` (default the last), computed stably, as torch.log_softmax. */
export const logSoftmax = (x: Tensor, axis = -1): Tensor<'f32'> => applySoftmax(logSoftmaxOp, x, axis);

export const logSoftmaxMethod: OpMethod<typeof logSoftmax> = opMethod(logSoftmax, {
  cases: [
    { label: 'rows', operands: [{ shape: [3, 5], lo: -4, hi: 4 }], args: (x) => [x, 1] },
    { label: 'columns', operands: [{ shape: [4, 3], lo: -4, hi: 4 }], args: (x) => [x, 0] },
    { label: 'the middle axis of three', operands: [{ shape: [2, 3, 4], lo: -4, hi: 4 }], args: (x) => [x, 1] },
    { label: 'wide rows', operands: [{ shape: [2, 100], lo: -4, hi: 4 }], args: (x) => [x, -1] },
    { label: 'values of ±80 (no overflow)', operands: [{ shape: [2, 4], data: [80, -80, 0, 1, -80, 80, 3, 2] }], args: (x) => [x, 1] },
  ],
  eager: { method: 'logSoftmax' },
});
