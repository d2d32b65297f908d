// The eager Tensor's methods and `functional` functions derived from the op registry: for every op
// registered with eager: 'derived', `x.name(...rest)` and `functional.name(x, ...rest)` record its
// builder on lazy tensors, with the builder's own argument types (graph tensors read as lazy ones).
import type { Tensor as Node } from '../graph/tensor';
import { OP_METHODS, type OpMethods, type OpName } from '../ops/registry';
import { record, Tensor } from './tensor';

/** A builder's argument as eager code passes it: a lazy Tensor where the builder takes a graph tensor. */
export type EagerArg<T> = T extends Node ? Tensor : T extends readonly Node[] ? readonly Tensor[] : T;
/** Every argument as eager code passes it. */
export type EagerArgs<P extends readonly unknown[]> = { [I in keyof P]: EagerArg<P[I]> };
/** A builder's parameters after the first (the tensor a method is called on). */
export type Rest<P extends readonly unknown[]> = P extends readonly [unknown, ...infer R] ? R : never;
/** The graph builder of a registered op. */
export type Build<K extends OpName> = OpMethods[K]['build'];

/** The registered ops whose eager form is derived from their builder. */
export type DerivedOpName = { [K in OpName]: OpMethods[K]['eager'] extends 'derived' ? K : never }[OpName];
/** The registered ops with a derived `functional` function (those with a derived method among them). */
export type DerivedFunctionName = { [K in OpName]: OpMethods[K]['eager'] extends 'derived' | 'derived-functional' ? K : never }[OpName];

/** `x.gelu()`, `x.layerNorm([C], w, b)`: the builder with the tensor as its first argument. */
export type DerivedTensorMethods = { [K in DerivedOpName]: (...args: EagerArgs<Rest<Parameters<Build<K>>>>) => Tensor };

/** `functional.gelu(x)`: the builder over lazy tensors. */
export type DerivedFunctions = { [K in DerivedFunctionName]: (...args: EagerArgs<Parameters<Build<K>>>) => Tensor };

declare module './tensor' {
  // Declaration merging: the methods are installed on the prototype below.
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Tensor extends DerivedTensorMethods {}
}

/** Records `build` over `args`, each lazy Tensor (alone or in an array) replaced by its graph node. */
function recordBuilder(name: string, build: (...args: unknown[]) => Node, differentiable: boolean, args: readonly unknown[]): Tensor {
  const tensors: Tensor[] = [];
  for (const a of args) {
    if (a instanceof Tensor) tensors.push(a);
    else if (Array.isArray(a)) for (const t of a) if (t instanceof Tensor) tensors.push(t);
  }
  return record(
    name,
    tensors,
    (nodes) => {
      let k = 0;
      const swap = (a: unknown): unknown => (a instanceof Tensor ? nodes[k++] : a);
      return build(...args.map((a) => (Array.isArray(a) ? a.map(swap) : swap(a))));
    },
    differentiable,
  );
}

const functions: Record<string, (...args: unknown[]) => Tensor> = {};
for (const [name, method] of Object.entries(OP_METHODS)) {
  if (method.eager !== 'derived' && method.eager !== 'derived-functional') continue;
  const build = method.build as (...args: unknown[]) => Node;
  const differentiable = method.cases.some((c) => c.gradient !== false);
  functions[name] = (...args) => recordBuilder(name, build, differentiable, args);
  if (method.eager === 'derived-functional') continue;
  Object.defineProperty(Tensor.prototype, name, {
    value(this: Tensor, ...args: unknown[]): Tensor {
      return recordBuilder(name, build, differentiable, [this, ...args]);
    },
    writable: true,
    configurable: true,
  });
}

export const derivedFunctions = functions as unknown as DerivedFunctions;
