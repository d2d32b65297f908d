import snippet from '../../shaders/tanh.wgsl';
import gradSnippet from '../../shaders/tanh_grad.wgsl';
import type { Tensor } from '../graph/tensor';
import { defineElementwise } from './elementwise';
import { binary, unary } from './scalar-operand';

export const tanhGradOp = defineElementwise({
  name: 'tanh_grad',
  arity: 2,
  snippet: gradSnippet,
  cpu: (y, dy) => dy * (1 - y * y),
});

export const tanhOp = defineElementwise({
  name: 'tanh',
  arity: 1,
  snippet,
  cpu: (a) => Math.tanh(a),
  grad: ({ node, dy }) => [binary(tanhGradOp, node, dy)],
});

export const tanh = (x: Tensor): Tensor => unary(tanhOp, x);
