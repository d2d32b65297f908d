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
import type { Shape } from './shape';
import type { Tensor } from './tensor';

type T = Tensor;
type TN = Tensor | number;

declare module './graph' {
  interface Graph {
    add(a: TN, b: TN): T;
    sub(a: TN, b: TN): T;
    mul(a: TN, b: TN): T;
    div(a: TN, b: TN): T;
    neg(x: T): T;
    exp(x: T): T;
    log(x: T): T;
    pow(x: T, exponent: number): T;
    square(x: T): T;
    relu(x: T): T;
    sigmoid(x: T): T;
    tanh(x: T): T;
    equal(a: TN, b: TN): T;
    broadcastTo(x: T, shape: Shape): T;
    sum(x: T, axes?: Axes, keepdims?: boolean): T;
    mean(x: T, axes?: Axes, keepdims?: boolean): T;
    max(x: T, axes?: Axes, keepdims?: boolean): T;
    reshape(x: T, shape: Shape): T;
    flatten(x: T, startDim?: number, endDim?: number): T;
    permute(x: T, dims: readonly number[]): T;
    softmax(x: T, axis?: number): T;
    logSoftmax(x: T, axis?: number): T;
    nllLoss(logProbs: T, labels: T): T;
    crossEntropy(logits: T, labels: T): T;
    mseLoss(pred: T, target: T): T;
    argmax(x: T, axis?: number): T;
    accuracy(logits: T, labels: T): T;
    grad(loss: T, wrt: readonly T[]): T[];
    matmul(a: T, b: T, options?: MatmulOptions): T;
    maxPool2d(x: T, kernel: Size2, stride?: Size2, padding?: Size2, dilation?: Size2): T;
    dropout(x: T, step: T, options: DropoutOptions): T;
    conv2d(x: T, weight: T, bias?: T | null, options?: Conv2dOptions): T;
  }
}

Object.assign(Graph.prototype, {
  add, sub, mul, div, neg, exp, log, pow, square, relu, sigmoid, tanh, equal, broadcastTo,
  sum, mean, max, reshape, flatten, permute, grad,
  matmul, conv2d,
  softmax, logSoftmax, nllLoss, crossEntropy, mseLoss, argmax, accuracy,
  maxPool2d, dropout,
});
