// The contract every op fulfils, in one file per op under src/ops/ with its WGSL in shaders/:
// shape inference with clear errors, the kernels it lowers to, its gradient rule written with other
// graph ops, and a float64 CPU reference that tests compare the GPU against.
import type { DType, Shape } from '../graph/shape';
import type { Tensor } from '../graph/tensor';

export interface TensorMeta {
  shape: Shape;
  dtype: DType;
}

/** Host-side tensor used by CPU references: float64 values (integers for i32/u8) in row-major order. */
export interface CpuTensor {
  shape: Shape;
  dtype: DType;
  data: Float64Array;
}

/**
 * What a kernel binding refers to: an input of the node, its output, constant uniform data, or a span:
 * one binding over the contiguous storage of several inputs that the compiler placed side by side in
 * one buffer (a packed model's parameters, say), from the first's start to the last's end.
 */
export type BindingRef = { input: number } | { output: true } | { uniform: Uint32Array | Float32Array | Int32Array } | { span: readonly number[] };

/** One compute dispatch, described before any GPU object exists. */
export interface KernelCall {
  /** Name for errors, profiles and describe(); defaults to the op's name. */
  label?: string;
  code: string;
  entryPoint?: string;
  constants?: Record<string, number>;
  /** @binding(i) of group 0 is bindings[i]. */
  bindings: BindingRef[];
  /** Workgroup counts; see dispatch1d() for flat index spaces larger than one dimension allows. */
  workgroups: readonly [number, number, number];
  /**
   * Other ways to run this same call, for compile-time tuning (src/graph/tuning.ts), which times them
   * on the call's real bindings and keeps the fastest per adapter. The first is the call itself (its
   * constants and workgroups, today's choice), so tuning never does worse than not tuning. Every
   * variant writes the same output bytes for the same inputs: only value kernels offer variants
   * (an effect writes state, which a trial run would change).
   */
  variants?: readonly KernelVariant[];
}

/** One configuration of a tunable KernelCall: its override constants replace the call's. */
export interface KernelVariant {
  /** Stored in the tuning cache and shown in profiles, e.g. `wg32` or `wg64.splits4`. */
  name: string;
  /** Override constants set on top of the call's (WG, a split count); never the shape of a binding. */
  constants: Record<string, number>;
  workgroups: readonly [number, number, number];
  /** WGSL replacing the call's, with the same bindings (the same kernel written another way). */
  code?: string;
  /** The entry point to run instead of the call's (another entry of the same module). */
  entryPoint?: string;
  /** A device feature the variant's code needs: without it the variant is not offered. */
  feature?: GPUFeatureName;
  /** What else it needs of the device; a device without it is not offered the variant. */
  needs?: VariantNeeds;
}

export interface VariantNeeds {
  /**
   * Shaped for hardware GPUs (workgroup-memory tiles, K split over a workgroup): tuning on a software
   * adapter, where barriers are slow and each form costs a compile, does not try it; `force` and a
   * checkpoint's pinned form still run it there.
   */
  hardware?: boolean;
  /** Invocations per workgroup (maxComputeInvocationsPerWorkgroup). */
  invocations?: number;
  /** Bytes of workgroup memory (maxComputeWorkgroupStorageSize). */
  workgroupBytes?: number;
}

export interface GradContext<A> {
  node: Tensor;
  inputs: readonly Tensor[];
  attrs: A;
  /** Gradient of the loss with respect to this node's output. */
  dy: Tensor;
}

export interface OpDef<A = Record<string, never>> {
  readonly name: string;
  /** Output shape and dtype for these inputs, or a ShapeError naming the op and the mismatch. */
  infer(inputs: readonly TensorMeta[], attrs: A): TensorMeta;
  /** The dispatches computing the output. Absent for views, which share their input's storage. */
  lower?(node: Tensor, attrs: A): KernelCall[];
  /** Gradients of the inputs, as graph ops; null where no gradient flows (integer inputs, say). */
  grad?(ctx: GradContext<A>): (Tensor | null)[];
  /** Float64 reference of the output; effects return their first input's new value. */
  cpu(inputs: readonly CpuTensor[], attrs: A, out: TensorMeta): CpuTensor;
  /** The output is a view of input 0 (same bytes, another shape): no kernel, no new storage. */
  readonly view?: boolean;
  /**
   * The compiler pass that makes this op out of others (a fusion): no builder makes it, so the
   * conformance test leaves it to that pass's own test.
   */
  readonly madeBy?: string;
  /** The op writes into input 0 in place (optimizer updates, accumulators); it has no output. */
  readonly effect?: boolean;
  /**
   * The op reads f16 inputs (two to a 32-bit word, see src/graph/shape.ts): casts and products. Any
   * other op is refused an f16 input when its node is added, rather than reading the halves as words.
   */
  readonly f16Inputs?: boolean;
  /** Floating-point operations of one evaluation, for profiles; absent: one per output element. */
  flops?(node: Tensor, attrs: A): number;
  /**
   * For an effect that updates single elements from scalars (a counter, a running sum): its WGSL as
   * one statement, so that a step's effects of this kind share one dispatch (src/ops/scalar-effects.ts).
   */
  readonly scalarEffect?: ScalarEffect<A>;
}

/** An effect written as one WGSL statement over its inputs' storage arrays. */
export interface ScalarEffect<A> {
  /** The WGSL function the statement calls: the op's shaders/<op>.wgsl. */
  readonly snippet: string;
  /** The statement, with input i bound as the storage array named inputs[i]. */
  statement(attrs: A, inputs: readonly string[]): string;
}

/**
 * An op whose attribute type has been erased, as graph nodes store it. OpDef's members are declared
 * as methods, whose parameters TypeScript checks bivariantly, so every OpDef<A> is one of these.
 */
export type AnyOpDef = OpDef<unknown>;

/** Every op defined so far, in definition order: what the conformance test checks it has covered. */
const defined: AnyOpDef[] = [];

export function defineOp<A = Record<string, never>>(def: OpDef<A>): OpDef<A> {
  defined.push(def as AnyOpDef);
  return def;
}

/** The ops defined by the modules loaded so far (all of them once src/ops/registry.ts is loaded). */
export const definedOps = (): readonly AnyOpDef[] => defined;

export const WORKGROUP_1D = 64;

/**
 * Workgroup counts for `n` independent invocations at `size` per workgroup, spread over x and y when
 * one dimension's limit (65,535) is too small; kernels rebuild the flat index from num_workgroups.
 */
export function dispatch1d(n: number, size = WORKGROUP_1D): [number, number, number] {
  const groups = Math.max(1, Math.ceil(n / size));
  if (groups <= 65535) return [groups, 1, 1];
  const y = Math.ceil(groups / 65535);
  return [Math.ceil(groups / y), y, 1];
}

/**
 * A call with its variants listed for tuning. The call itself runs the first variant that needs no
 * feature and no hardware adapter (its code, constants, workgroups and entry point), so it runs on
 * any device; the tuner starts from the first variant the device can run.
 */
export function tunableCall(base: Omit<KernelCall, 'workgroups' | 'variants' | 'code' | 'entryPoint'>, variants: readonly KernelVariant[]): KernelCall {
  const first = variants.find((v) => v.feature === undefined && !v.needs?.hardware);
  if (!first?.code) throw new Error(`internal: ${base.label ?? 'kernel'} offers no variant that runs everywhere`);
  const entryPoint = first.entryPoint !== undefined ? { entryPoint: first.entryPoint } : {};
  return { ...base, code: first.code, ...entryPoint, constants: { ...base.constants, ...first.constants }, workgroups: first.workgroups, variants };
}
