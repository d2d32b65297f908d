// The op methods of Graph (g.add, g.matmul, ...), derived from the op registry (src/ops/registry.ts),
// so that the graph builder reads like the tutorials (`g.mean(g.square(g.sub(pred, y)))`) and a new op
// is a method as soon as it is registered.
import { OP_METHODS, type GraphOpMethods } from '../ops/registry';
import { chunk, split } from '../ops/split';
import { grad } from './autodiff';
import { Graph } from './graph';
import type { Tensor } from './tensor';

declare module './graph' {
  // The registry's builders, each with its own signature; grad() is no op, and split() and chunk()
  // give several tensors (slices, which the registry tests).
  interface Graph extends GraphOpMethods {
    grad(loss: Tensor, wrt: readonly Tensor[]): Tensor<'f32'>[];
    split: typeof split;
    chunk: typeof chunk;
  }
}

Object.assign(Graph.prototype, Object.fromEntries(Object.entries(OP_METHODS).map(([name, method]) => [name, method.build])), { grad, split, chunk });
