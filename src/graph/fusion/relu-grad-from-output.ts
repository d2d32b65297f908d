// relu_grad(x, dy) reads the pre-activation x, so x has two readers (relu and relu_grad) and no
// epilogue or chain could absorb relu's producer. relu_grad only asks whether x > 0, and relu(x) > 0
// exactly when x > 0, so it may as well read relu's output r = relu(x):
//   x > 0 (incl. +inf):          r = x > 0                        -> dy either way
//   x < 0, x = -inf, x = +-0:    r = +-0, not > 0                 -> 0 either way
//   x NaN:                       r = 0 (WGSL max returns the non-NaN operand) or NaN where an
//                                implementation propagates it; NaN > 0 and 0 > 0 are both false -> 0
// (shaders/relu_grad.wgsl is select(0, dy, x > 0); shaders/relu.wgsl is max(a, 0)). A positive
// subnormal x under flush-to-zero is flushed alike by relu's max and relu_grad's comparison on a
// device that flushes, so the two still agree there. After the rewrite x may die right after relu,
// and relu(conv2d) / relu(matmul) become epilogues.
import { reluGradOp, reluOp } from '../../ops/relu';
import type { Tensor } from '../tensor';
import type { FusionRule } from './rule';

export const reluGradFromOutput: FusionRule = {
  name: 'relu-grad-from-output',
  apply(node, ctx) {
    if (node.op !== reluGradOp) return null;
    const [x, dy] = node.inputs as [Tensor, Tensor];
    if (x.op === reluOp) return null; // already reads a relu output: relu(relu(x)) = relu(x), nothing to gain
    // Only a relu that runs earlier (not one added to the graph after grad(), say) can be read.
    const relu = ctx.consumers(x).find((c) => c.op === reluOp && ctx.runsBefore(c));
    if (!relu) return null;
    return ctx.node(reluGradOp, [ctx.current(relu), dy], node.attrs, node.name);
  },
};
