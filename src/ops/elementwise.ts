// Shared machinery of elementwise ops: broadcasting shape inference, the generated map kernel (from
// shaders/elementwise.wgsl and the op's snippet), the CPU reference loop and reducing a broadcast
// gradient back to its input's shape. Each op stays in its own file and names only its formula.
import template from '../../shaders/elementwise.wgsl';
import { broadcastShapes, broadcastStrides, fmt, sameShape, ShapeError, sizeOf, type Shape } from '../graph/shape';
import type { Tensor } from '../graph/tensor';
import { defineOp, dispatch1d, type AnyOpDef, type CpuTensor, type GradContext, type KernelCall, type OpDef, type TensorMeta } from './op';

const MAX_RANK = 8;
/** Inputs of one elementwise kernel (the broadcast metadata holds strides for this many). */
export const MAX_INPUTS = 3;

export interface ElementwiseSpec<A> {
  name: string;
  arity: 1 | 2;
  /** WGSL defining `fn op(a: f32[, b: f32]) -> f32`; the override constant S holds scalar().*/
  snippet: string;
  /** The op's scalar attribute, passed to the kernel as the override constant S. */
  scalar?: (attrs: A) => number;
  /** Output shape when it is not the broadcast of the inputs (broadcast_to). */
  outShape?: (attrs: A) => Shape;
  /** Float64 reference of one element. */
  cpu: (a: number, b: number, attrs: A) => number;
  grad?: (ctx: GradContext<A>) => (Tensor | null)[];
}

/** The spec behind each elementwise op, so the fusion pass can build one kernel from a chain of them. */
const specs = new WeakMap<object, ElementwiseSpec<unknown>>();

/** The elementwise spec of `op`, or undefined when `op` is not a plain elementwise map. */
export function elementwiseSpec(op: AnyOpDef): ElementwiseSpec<unknown> | undefined {
  return specs.get(op);
}

export function defineElementwise<A = Record<string, never>>(spec: ElementwiseSpec<A>): OpDef<A> {
  const op = defineOp<A>({
    name: spec.name,
    infer(inputs, attrs) {
      if (inputs.length !== spec.arity) throw new ShapeError(`${spec.name}: expected ${spec.arity} input(s), got ${inputs.length}`);
      for (const x of inputs) {
        if (x.dtype !== 'f32') throw new ShapeError(`${spec.name}: inputs must be f32, got ${x.dtype}${fmt(x.shape)}`);
      }
      let shape: Shape = inputs.length === 2 ? broadcastShapes(spec.name, inputs[0]!.shape, inputs[1]!.shape) : inputs[0]!.shape;
      if (spec.outShape) {
        const target = spec.outShape(attrs);
        const joined = broadcastShapes(spec.name, shape, target);
        if (!sameShape(joined, target)) throw new ShapeError(`${spec.name}: cannot broadcast ${fmt(shape)} to ${fmt(target)}`);
        shape = target;
      }
      if (shape.length > MAX_RANK) throw new ShapeError(`${spec.name}: rank ${shape.length} exceeds the supported ${MAX_RANK}`);
      return { shape, dtype: 'f32' };
    },
    lower(node, attrs) {
      return [
        elementwiseKernel(
          spec.name,
          spec.snippet,
          node.inputs.map((x) => x.shape),
          node.shape,
          spec.scalar?.(attrs) ?? 0,
        ),
      ];
    },
    cpu(inputs, attrs, out) {
      return mapCpu(inputs, out, (a, b) => spec.cpu(a, b, attrs));
    },
    ...(spec.grad ? { grad: spec.grad } : {}),
  });
  specs.set(op, spec as ElementwiseSpec<unknown>);
  return op;
}

/** Output elements each invocation of shaders/elementwise.wgsl computes (its PER). */
const ELEMENTS_PER_INVOCATION = 4;

/** The map kernel for one elementwise formula over inputs of the given shapes. */
export function elementwiseKernel(
  label: string,
  snippet: string,
  inputShapes: readonly Shape[],
  out: Shape,
  scalar: number,
  constants: Record<string, number> = {},
): KernelCall {
  const n = sizeOf(out);
  const broadcast = inputShapes.map((s) => !sameShape(s, out));
  const bindings: string[] = inputShapes.map((_, k) => `@group(0) @binding(${k}) var<storage, read> in${k}: array<f32>;`);
  bindings.push(`@group(0) @binding(${inputShapes.length}) var<storage, read_write> out: array<f32>;`);
  const needsMeta = broadcast.some(Boolean);
  // Without broadcasting the uniform is not bound, so the kernel must not reference it: declare a
  // private stand-in that in_offset() can name (it is never called).
  bindings.push(needsMeta ? `@group(0) @binding(${inputShapes.length + 1}) var<uniform> bcast: Meta;` : 'var<private> bcast: Meta;');
  const args = inputShapes.map((_, k) => (broadcast[k] ? `in${k}[in_offset(i, ${k}u)]` : `in${k}[i]`));
  const code = template.replace('{{BINDINGS}}', bindings.join('\n')).replace('{{SNIPPET}}', snippet).replace('{{ARGS}}', args.join(', '));
  const refs: KernelCall['bindings'] = inputShapes.map((_, k) => ({ input: k }));
  refs.push({ output: true });
  if (needsMeta) refs.push({ uniform: broadcastMeta(inputShapes, out) });
  return {
    label,
    code,
    constants: { ...constants, N: n, RANK: Math.max(1, out.length), S: scalar },
    bindings: refs,
    workgroups: dispatch1d(Math.ceil(n / ELEMENTS_PER_INVOCATION)),
  };
}

function broadcastMeta(inputShapes: readonly Shape[], out: Shape): Uint32Array {
  if (inputShapes.length > MAX_INPUTS) throw new Error(`elementwise kernels take at most ${MAX_INPUTS} inputs`);
  const meta = new Uint32Array(8 + 8 * MAX_INPUTS);
  out.forEach((d, i) => (meta[i] = d));
  inputShapes.forEach((shape, k) => broadcastStrides(shape, out).forEach((s, i) => (meta[8 + 8 * k + i] = s)));
  return meta;
}

/** Applies f elementwise with broadcasting on the CPU, to up to MAX_INPUTS inputs (the reference for every elementwise op). */
export function mapCpu(inputs: readonly CpuTensor[], out: TensorMeta, f: (a: number, b: number, c: number) => number): CpuTensor {
  const n = sizeOf(out.shape);
  const data = new Float64Array(n);
  const strides = inputs.map((x) => broadcastStrides(x.shape, out.shape));
  const index = new Array<number>(out.shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    const offsets = strides.map((s) => s.reduce((acc, st, d) => acc + st * index[d]!, 0));
    data[i] = f(inputs[0]!.data[offsets[0]!]!, inputs[1]?.data[offsets[1]!] ?? 0, inputs[2]?.data[offsets[2]!] ?? 0);
    for (let d = out.shape.length - 1; d >= 0; d--) {
      if (++index[d]! < out.shape[d]!) break;
      index[d] = 0;
    }
  }
  return { shape: out.shape, dtype: 'f32', data };
}
