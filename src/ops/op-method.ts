// What an op module declares for the registry (src/ops/registry.ts): the builder users call (it becomes
// a Graph method, and a method of the eager Tensor) and the domain it is tested on: operand shapes and
// value ranges, the awkward ones included. The conformance test (test/conformance.test.ts) checks
// every case's forward against the float64 CPU reference and its gradient against float64 central
// differences, so an op cannot be registered without being tested.
import type { Shape } from '../graph/shape';
import type { Tensor } from '../graph/tensor';

/** One operand of a test case: its shape and where its values come from. */
export interface OperandDomain {
  shape: Shape;
  /** f32 (the default) or i32 (labels, indices: integers drawn from [lo, hi)). */
  dtype?: 'f32' | 'i32';
  /** Values drawn uniformly from [lo, hi); [-1, 1) when absent. */
  lo?: number;
  hi?: number;
  /**
   * Distinct values on an even grid of [lo, hi), shuffled, offset by a quarter step (so 0 is never on it for a range symmetric about 0): for ops with
   * kinks or ties (relu at 0, max, max pooling), where a central difference across a kink is wrong.
   */
  distinct?: boolean;
  /** Explicit values (special values such as 0, negative bases, large magnitudes). */
  data?: readonly number[];
}

/** How the gradient of a case is checked. */
export interface GradientCheck {
  /** Operands not differentiated (integer labels; a counter). i32 operands never are. */
  constant?: readonly number[];
  /**
   * Largest accepted error, relative to the largest gradient element: max |gpu - numeric| / max |numeric|.
   * The default (1e-4) is what f32 kernels reach against a float64 central difference.
   */
  tolerance?: number;
}

export interface OpCase<Args extends readonly unknown[]> {
  /** What the case exercises (broadcasting, a transposed operand, a padded window). */
  label: string;
  operands: readonly OperandDomain[];
  /** The builder's arguments, given the operands as graph tensors. */
  args(...operands: Tensor[]): Args;
  /**
   * Largest accepted forward error, relative to the largest reference element (default 1e-5): f32
   * against float64 over the case's reductions.
   */
  tolerance?: number;
  /** false: the op has no gradient (integer outputs, metrics); a check's settings otherwise. */
  gradient?: false | GradientCheck;
}

/** Any builder: graph tensors (and attributes) in, a graph tensor out. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- builders' parameters differ; Parameters<F> types each case
export type Builder = (...args: any[]) => Tensor;

/** How the eager Tensor (src/tensor/) offers the op; the conformance test checks that it does. */
export type EagerForm =
  /** A Tensor method and a `functional` function derived from the builder, the tensor first: `x.gelu()`. */
  | 'derived'
  /** Only a `functional` function derived from the builder (no Tensor method: F.embedding(indices, weight)). */
  | 'derived-functional'
  /** A Tensor method written by hand with PyTorch's conventions and name (`sum(dim)`, `eq`, `expand`). */
  | { method: string }
  /** A function of src/tensor/functional.ts written by hand with PyTorch's conventions (`dropout(x, p)`). */
  | { functional: string }
  /** Graph-only, and why. */
  | { graphOnly: string };

export interface OpMethod<F extends Builder, E extends EagerForm = EagerForm> {
  readonly build: F;
  readonly cases: readonly OpCase<Parameters<F>>[];
  /** 'derived' in the type (OpMethod<typeof gelu, 'derived'>) gives the eager Tensor the method's type. */
  readonly eager: E;
}

export function opMethod<F extends Builder, E extends EagerForm = 'derived'>(
  build: F,
  spec: { cases: readonly OpCase<Parameters<NoInfer<F>>>[]; eager?: E },
): OpMethod<F, E> {
  if (spec.cases.length === 0) throw new Error(`internal: ${build.name || 'an op'} registered without a test case`);
  return { build, cases: spec.cases, eager: spec.eager ?? ('derived' as E) };
}
