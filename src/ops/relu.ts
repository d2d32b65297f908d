import snippet from '../../shaders/relu.wgsl';
import gradSnippet from '../../shaders/relu_grad.wgsl';
import type { Tensor } from '../graph/tensor';
import { defineElementwise } from './elementwise';
import { binary, unary } from './scalar-operand';

/** Backward of relu: dy where x > 0. An op of its own so the backward pass costs one kernel. */
export const reluGradOp = defineElementwise({
  name: 'relu_grad',
  arity: 2,
  snippet: gradSnippet,
  cpu: (x, dy) => (x > 0 ? dy : 0),
});

export const reluOp = defineElementwise({
  name: 'relu',
  arity: 1,
  snippet,
  cpu: (a) => Math.max(a, 0),
  grad: ({ inputs: [x], dy }) => [binary(reluGradOp, x!, dy)],
});

export const relu = (x: Tensor): Tensor => unary(reluOp, x);
