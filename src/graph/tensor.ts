// A symbolic tensor: one node of a Graph. Every node has exactly one output, so node and tensor are
// the same object. Shapes and dtypes are fixed when the node is added.
import type { AnyOpDef } from '../ops/op';
import type { Graph } from './graph';
import { bytesOf, fmt, ShapeError, sizeOf, type DType, type Shape } from './shape';
import type { Variable } from './variable';

/**
 * input: fed each step (or each run) from the host; variable: persistent storage (parameters,
 * optimizer state, datasets); constant: data fixed when the graph is built; op: computed by kernels.
 */
export type NodeKind = 'input' | 'variable' | 'constant' | 'op';

export interface TensorInit {
  kind: NodeKind;
  name: string;
  shape: Shape;
  dtype: DType;
  op?: AnyOpDef;
  inputs?: readonly Tensor[];
  attrs?: unknown;
  variable?: Variable;
  value?: Float32Array | Int32Array;
}

/** A node of a graph, typed by its dtype (Tensor<'f32'>, Tensor<'i32'>; plain Tensor for any). */
export class Tensor<D extends DType = DType> {
  readonly graph: Graph;
  readonly id: number;
  readonly kind: NodeKind;
  readonly name: string;
  readonly shape: Shape;
  readonly dtype: D;
  readonly op: AnyOpDef | null;
  readonly inputs: readonly Tensor[];
  readonly attrs: unknown;
  readonly variable: Variable | null;
  readonly value: Float32Array | Int32Array | null;

  constructor(graph: Graph, id: number, init: TensorInit) {
    this.graph = graph;
    this.id = id;
    this.kind = init.kind;
    this.name = init.name;
    this.shape = [...init.shape];
    this.dtype = init.dtype as D;
    this.op = init.op ?? null;
    this.inputs = init.inputs ?? [];
    this.attrs = init.attrs ?? {};
    this.variable = init.variable ?? null;
    this.value = init.value ?? null;
  }

  get rank(): number {
    return this.shape.length;
  }

  get size(): number {
    return sizeOf(this.shape);
  }

  get byteLength(): number {
    return bytesOf(this.dtype, this.size);
  }

  /** True for nodes that write in place and produce no value (optimizer updates, accumulators). */
  get isEffect(): boolean {
    return this.op?.effect === true;
  }

  toString(): string {
    return `${this.name}#${this.id}:${this.dtype}${fmt(this.shape)}`;
  }
}

/** `x` typed as f32, for builders that may return their input unchanged; a ShapeError names `op` otherwise. */
export function asF32(op: string, x: Tensor): Tensor<'f32'> {
  if (x.dtype !== 'f32') throw new ShapeError(`${op}: expected an f32 input, got ${x.dtype}${fmt(x.shape)}`);
  return x as Tensor<'f32'>;
}
