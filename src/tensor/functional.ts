// `kiln.functional` (as torch.nn.functional): the ops that take more than one tensor or settings,
// on lazy tensors. Each records the same graph op the layers use.
import type { Conv2dOptions } from '../ops/conv2d-geometry';
import type { Size2 } from '../ops/pool2d-window';
import { dropoutKeyStream } from '../random/philox';
import { derivedFunctions } from './derived-methods';
import { record, Tensor } from './tensor';

/** y = x Wᵀ + b with W of shape [out, in], as F.linear. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record('linear', inputs, ([a, w, b]) => {
    const y = a!.graph.matmul(a!, w!, { transposeB: true });
    return b ? y.graph.add(y, b) : y;
  });
}

/** A 2-D convolution of [N, C, H, W] by [O, C, KH, KW], as F.conv2d. */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: Conv2dOptions = {}): Tensor {
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record('conv2d', inputs, ([a, w, b]) => a!.graph.conv2d(a!, w!, b ?? null, options));
}

/** Max pooling over windows of [N, C, H, W], as F.max_pool2d (stride defaults to the kernel). */
export function maxPool2d(x: Tensor, kernel: Size2, stride?: Size2, padding: Size2 = 0): Tensor {
  return record('maxPool2d', [x], ([a]) => a!.graph.maxPool2d(a!, kernel, stride, padding));
}

/** The tensors joined along `dim`, as torch.cat: functional.concat under PyTorch's name. */
export const cat = (tensors: readonly Tensor[], dim = 0): Tensor => derivedFunctions.concat(tensors, dim);

/** Consecutive pieces of `x` along `dim`, as torch.split. */
export const split = (x: Tensor, sizes: number | readonly number[], dim = 0): Tensor[] => x.split(sizes, dim);

export const relu = (x: Tensor): Tensor => x.relu();
export const sigmoid = (x: Tensor): Tensor => x.sigmoid();
export const tanh = (x: Tensor): Tensor => x.tanh();
export const softmax = (x: Tensor, dim = -1): Tensor => x.softmax(dim);
export const logSoftmax = (x: Tensor, dim = -1): Tensor => x.logSoftmax(dim);

/** Mean negative log-likelihood of [N, C] log-probabilities at i32 [N] labels, as F.nll_loss. */
export function nllLoss(logProbs: Tensor, labels: Tensor): Tensor {
  return record('nllLoss', [logProbs, labels], ([a, y]) => a!.graph.nllLoss(a!, y!));
}

/** Mean cross-entropy of [N, C] logits at i32 [N] labels, as F.cross_entropy. */
export function crossEntropy(logits: Tensor, labels: Tensor): Tensor {
  return record('crossEntropy', [logits, labels], ([a, y]) => a!.graph.crossEntropy(a!, y!));
}

/** Mean squared error, as F.mse_loss. */
export function mseLoss(pred: Tensor, target: Tensor): Tensor {
  return record('mseLoss', [pred, target], ([a, b]) => a!.graph.mseLoss(a!, b!));
}

let dropoutKey: [number, number] | null = null;
let dropoutCalls = 0;

/**
 * Zeroes each element with probability p and scales the rest by 1 / (1 - p) when `training`, as
 * F.dropout. Each call draws a fresh mask: its Philox counter is a number fed with the step, so a
 * loop keeps one compiled program.
 */
export function dropout(x: Tensor, p = 0.5, training = true): Tensor {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`dropout: p must be a probability in [0, 1], got ${p}`);
  if (!training || p === 0) return x;
  if (!dropoutKey) {
    const stream = dropoutKeyStream();
    dropoutKey = [stream.nextU32(), stream.nextU32()];
  }
  const key = dropoutKey;
  const step = Tensor.fromHost(Int32Array.of(dropoutCalls++ | 0), [1], 'i32');
  return record('dropout', [x, step], ([a, s]) => a!.graph.dropout(a!, s!, { p, key0: key[0], key1: key[1] }));
}
