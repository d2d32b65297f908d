import snippet from '../../shaders/relu.wgsl';
import gradSnippet from '../../shaders/relu_grad.wgsl';
import type { Tensor } from '../graph/tensor';
import { defineElementwise } from './elementwise';
import { binary, unary } from './scalar-operand';
import { opMethod, type OpMethod } from './op-method';

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

export const relu = (x: Tensor): Tensor<'f32'> => unary(reluOp, x);

export const reluMethod: OpMethod<typeof relu> = opMethod(relu, {
  cases: [{ label: 'away from the kink at 0', operands: [{ shape: [5, 13], distinct: true }], args: (x) => [x] }],
  eager: { method: 'relu' },
});
