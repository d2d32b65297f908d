// The graph builder: symbolic tensors whose shapes are checked as each node is added. Op-specific
// methods live in src/graph/graph-ops.ts (one line each, delegating to src/ops/); this file only knows
// nodes in general.
import type { AnyOpDef } from '../ops/op';
import { checkShape, fmt, ShapeError, type DType, type Shape } from './shape';
import { Tensor, type TensorInit } from './tensor';
import { Variable, checkHostData } from './variable';

export class Graph {
  private readonly list: Tensor[] = [];
  private readonly byVariable = new Map<Variable, Tensor>();
  private readonly inputNames = new Set<string>();
  private autocasting: 'f16' | null = null;

  /** The dtype products cast their f32 operands to while building under autocast(), else null. */
  get autocastDtype(): 'f16' | null {
    return this.autocasting;
  }

  /**
   * Builds `build()` with matmul reading f16 casts of its f32 operands (torch.autocast for float16):
   * how `precision: 'f16-mixed'` builds a model's forward. Products still accumulate and write f32,
   * and every other op runs as it would without; the previous mode returns after, even on a throw.
   */
  autocast<T>(dtype: 'f16' | null, build: () => T): T {
    const previous = this.autocasting;
    this.autocasting = dtype;
    try {
      return build();
    } finally {
      this.autocasting = previous;
    }
  }

  /** All nodes in the order they were added (a valid topological order). */
  get nodes(): readonly Tensor[] {
    return this.list;
  }

  private push(init: TensorInit): Tensor {
    const tensor = new Tensor(this, this.list.length, init);
    this.list.push(tensor);
    return tensor;
  }

  /** A tensor fed from the host at each run of the compiled program. */
  input<D extends DType = 'f32'>(name: string, shape: Shape, dtype: D = 'f32' as D): Tensor<D> {
    checkShape(`input ${name}`, shape);
    if (dtype === 'f16') throw new ShapeError(`input ${name}: f16 inputs are not supported; feed f32 and cast inside the graph`);
    if (this.inputNames.has(name)) throw new ShapeError(`input '${name}' is already defined in this graph`);
    this.inputNames.add(name);
    return this.push({ kind: 'input', name, shape, dtype }) as Tensor<D>;
  }

  /** A persistent tensor (parameter, optimizer state, dataset); the same Variable gives the same node. */
  variable<D extends DType>(variable: Variable<D>): Tensor<D> {
    let node = this.byVariable.get(variable) as Tensor<D> | undefined;
    if (!node) {
      node = this.push({ kind: 'variable', name: variable.name, shape: variable.shape, dtype: variable.dtype, variable }) as Tensor<D>;
      this.byVariable.set(variable, node);
    }
    return node;
  }

  /** A new trainable parameter (zeros unless `init` is given). */
  param(name: string, shape: Shape, init?: Float32Array): Tensor<'f32'> {
    return this.variable(new Variable(name, shape, 'f32', { trainable: true, ...(init ? { data: init } : {}) }));
  }

  /** Data fixed when the graph is built; a number gives a scalar (shape []). */
  constant(value: number | Float32Array | Int32Array, shape?: Shape, name = 'const'): Tensor {
    const data = typeof value === 'number' ? Float32Array.of(value) : value;
    const dims = shape ?? (typeof value === 'number' ? [] : [data.length]);
    const dtype: DType = data instanceof Int32Array ? 'i32' : 'f32';
    checkHostData(name, dims, dtype, data);
    return this.push({ kind: 'constant', name, shape: dims, dtype, value: data });
  }

  /** Adds an op node after checking its inputs: the way every op function builds its node. */
  apply<A>(op: AnyOpDef, inputs: readonly Tensor[], attrs: A, name?: string): Tensor {
    for (const x of inputs) {
      if (x.graph !== this) throw new ShapeError(`${op.name}: input ${x} belongs to another graph`);
      if (x.isEffect) throw new ShapeError(`${op.name}: input ${x} is an in-place update and has no value`);
      if (x.dtype === 'f16' && !op.f16Inputs) throw new ShapeError(`${op.name}: input ${x} is f16, which only casts and matmul read; cast it to f32 first`);
    }
    const meta = op.infer(inputs, attrs);
    checkShapeFor(op.name, meta.shape);
    return this.push({ kind: 'op', name: name ?? op.name, shape: meta.shape, dtype: meta.dtype, op, inputs, attrs });
  }

  /** apply() for an op whose output is f32 (every op but argmax, casts and the views), typed so. */
  applyF32<A>(op: AnyOpDef, inputs: readonly Tensor[], attrs: A, name?: string): Tensor<'f32'> {
    const out = this.apply(op, inputs, attrs, name);
    if (out.dtype !== 'f32') throw new Error(`internal: ${op.name} made ${out.dtype}, not f32`);
    return out as Tensor<'f32'>;
  }

  /** Lists the trainable variables the given tensors depend on, in the order they were added. */
  trainableVariables(...roots: Tensor[]): Tensor[] {
    const seen = new Set<Tensor>();
    const stack = [...roots];
    while (stack.length) {
      const t = stack.pop()!;
      if (seen.has(t)) continue;
      seen.add(t);
      stack.push(...t.inputs);
    }
    return this.list.filter((t) => seen.has(t) && t.variable?.trainable);
  }
}

function checkShapeFor(op: string, shape: Shape): void {
  // Scalars have shape []; otherwise each dimension must be a positive integer.
  if (shape.length > 0) checkShape(op, shape);
  if (shape.some((d) => d > 2 ** 31)) throw new ShapeError(`${op}: shape ${fmt(shape)} is too large`);
}
