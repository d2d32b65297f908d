// The op methods of Graph (g.add, g.matmul, ...): one line each, delegating to the op's own module,
// so that the graph builder reads like the tutorials (`g.mean(g.square(g.sub(pred, y)))`).
import { accuracy } from '../ops/accuracy';
import { add } from '../ops/add';
import { argmax } from '../ops/argmax';
import { broadcastTo } from '../ops/broadcast-to';
import { conv2d } from '../ops/conv2d';
import type { Conv2dOptions } from '../ops/conv2d-geometry';
import { crossEntropy } from '../ops/cross-entropy';
import { div } from '../ops/div';
import { dropout, type DropoutOptions } from '../ops/dropout';
import { equal } from '../ops/equal';
import { exp } from '../ops/exp';
import { log } from '../ops/log';
import { logSoftmax } from '../ops/log-softmax';
import { matmul, type MatmulOptions } from '../ops/matmul';
import { max } from '../ops/max';
import { maxPool2d } from '../ops/max-pool2d';
import { mean } from '../ops/mean';
import { mseLoss } from '../ops/mse-loss';
import { mul } from '../ops/mul';
import { neg } from '../ops/neg';
import { nllLoss } from '../ops/nll-loss';
import type { Size2 } from '../ops/pool2d-window';
import { permute } from '../ops/permute';
import { pow, square } from '../ops/pow';
import type { Axes } from '../ops/reduce';
import { relu } from '../ops/relu';
import { flatten, reshape } from '../ops/reshape';
import { sigmoid } from '../ops/sigmoid';
import { softmax } from '../ops/softmax';
import { sub } from '../ops/sub';
import { sum } from '../ops/sum';
import { tanh } from '../ops/tanh';
import { grad } from './autodiff';
import { Graph } from './graph';
import type { DType, Shape } from './shape';
import type { Tensor } from './tensor';

// Every op computes f32 except argmax (i32) and the views, which keep their input's dtype.
type T = Tensor;
type F = Tensor<'f32'>;
type TN = Tensor | number;

declare module './graph' {
  interface Graph {
    add(a: TN, b: TN): F;
    sub(a: TN, b: TN): F;
    mul(a: TN, b: TN): F;
    div(a: TN, b: TN): F;
    neg(x: T): F;
    exp(x: T): F;
    log(x: T): F;
    pow(x: T, exponent: number): F;
    square(x: T): F;
    relu(x: T): F;
    sigmoid(x: T): F;
    tanh(x: T): F;
    equal(a: TN, b: TN): F;
    broadcastTo(x: T, shape: Shape): F;
    sum(x: T, axes?: Axes, keepdims?: boolean): F;
    mean(x: T, axes?: Axes, keepdims?: boolean): F;
    max(x: T, axes?: Axes, keepdims?: boolean): F;
    reshape<D extends DType>(x: Tensor<D>, shape: Shape): Tensor<D>;
    flatten<D extends DType>(x: Tensor<D>, startDim?: number, endDim?: number): Tensor<D>;
    permute(x: T, dims: readonly number[]): F;
    softmax(x: T, axis?: number): F;
    logSoftmax(x: T, axis?: number): F;
    nllLoss(logProbs: T, labels: T): F;
    crossEntropy(logits: T, labels: T): F;
    mseLoss(pred: T, target: T): F;
    argmax(x: T, axis?: number): Tensor<'i32'>;
    accuracy(logits: T, labels: T): F;
    grad(loss: T, wrt: readonly T[]): F[];
    matmul(a: T, b: T, options?: MatmulOptions): F;
    maxPool2d(x: T, kernel: Size2, stride?: Size2, padding?: Size2, dilation?: Size2): F;
    dropout(x: T, step: T, options: DropoutOptions): F;
    conv2d(x: T, weight: T, bias?: T | null, options?: Conv2dOptions): F;
  }
}

Object.assign(Graph.prototype, {
  add, sub, mul, div, neg, exp, log, pow, square, relu, sigmoid, tanh, equal, broadcastTo,
  sum, mean, max, reshape, flatten, permute, grad,
  matmul, conv2d,
  softmax, logSoftmax, nllLoss, crossEntropy, mseLoss, argmax, accuracy,
  maxPool2d, dropout,
});
