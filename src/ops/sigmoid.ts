import snippet from '../../shaders/sigmoid.wgsl';
import gradSnippet from '../../shaders/sigmoid_grad.wgsl';
import type { Tensor } from '../graph/tensor';
import { defineElementwise } from './elementwise';
import { binary, unary } from './scalar-operand';

export const sigmoidGradOp = defineElementwise({
  name: 'sigmoid_grad',
  arity: 2,
  snippet: gradSnippet,
  cpu: (y, dy) => dy * y * (1 - y),
});

export const sigmoidOp = defineElementwise({
  name: 'sigmoid',
  arity: 1,
  snippet,
  cpu: (a) => 1 / (1 + Math.exp(-a)),
  grad: ({ node, dy }) => [binary(sigmoidGradOp, node, dy)],
});

export const sigmoid = (x: Tensor): Tensor => unary(sigmoidOp, x);
