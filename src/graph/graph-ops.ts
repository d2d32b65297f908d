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
declare module './graph' {
  interface Graph {
    add(a: Tensor | number, b: Tensor | number): Tensor<'f32'>;
    sub(a: Tensor | number, b: Tensor | number): Tensor<'f32'>;
    mul(a: Tensor | number, b: Tensor | number): Tensor<'f32'>;
    div(a: Tensor | number, b: Tensor | number): Tensor<'f32'>;
    neg(x: Tensor): Tensor<'f32'>;
    exp(x: Tensor): Tensor<'f32'>;
    log(x: Tensor): Tensor<'f32'>;
    pow(x: Tensor, exponent: number): Tensor<'f32'>;
    square(x: Tensor): Tensor<'f32'>;
    relu(x: Tensor): Tensor<'f32'>;
    sigmoid(x: Tensor): Tensor<'f32'>;
    tanh(x: Tensor): Tensor<'f32'>;
    equal(a: Tensor | number, b: Tensor | number): Tensor<'f32'>;
    broadcastTo(x: Tensor, shape: Shape): Tensor<'f32'>;
    sum(x: Tensor, axes?: Axes, keepdims?: boolean): Tensor<'f32'>;
    mean(x: Tensor, axes?: Axes, keepdims?: boolean): Tensor<'f32'>;
    max(x: Tensor, axes?: Axes, keepdims?: boolean): Tensor<'f32'>;
    reshape<D extends DType>(x: Tensor<D>, shape: Shape): Tensor<D>;
    flatten<D extends DType>(x: Tensor<D>, startDim?: number, endDim?: number): Tensor<D>;
    permute(x: Tensor, dims: readonly number[]): Tensor<'f32'>;
    softmax(x: Tensor, axis?: number): Tensor<'f32'>;
    logSoftmax(x: Tensor, axis?: number): Tensor<'f32'>;
    nllLoss(logProbs: Tensor, labels: Tensor): Tensor<'f32'>;
    crossEntropy(logits: Tensor, labels: Tensor): Tensor<'f32'>;
    mseLoss(pred: Tensor, target: Tensor): Tensor<'f32'>;
    argmax(x: Tensor, axis?: number): Tensor<'i32'>;
    accuracy(logits: Tensor, labels: Tensor): Tensor<'f32'>;
    grad(loss: Tensor, wrt: readonly Tensor[]): Tensor<'f32'>[];
    matmul(a: Tensor, b: Tensor, options?: MatmulOptions): Tensor<'f32'>;
    maxPool2d(x: Tensor, kernel: Size2, stride?: Size2, padding?: Size2, dilation?: Size2): Tensor<'f32'>;
    dropout(x: Tensor, step: Tensor, options: DropoutOptions): Tensor<'f32'>;
    conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, options?: Conv2dOptions): Tensor<'f32'>;
  }
}

Object.assign(Graph.prototype, {
  add,
  sub,
  mul,
  div,
  neg,
  exp,
  log,
  pow,
  square,
  relu,
  sigmoid,
  tanh,
  equal,
  broadcastTo,
  sum,
  mean,
  max,
  reshape,
  flatten,
  permute,
  grad,
  matmul,
  conv2d,
  softmax,
  logSoftmax,
  nllLoss,
  crossEntropy,
  mseLoss,
  argmax,
  accuracy,
  maxPool2d,
  dropout,
});
