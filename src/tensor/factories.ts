// Making lazy tensors, as torch.tensor, torch.zeros, torch.randn, ...: the values start on the host
// and go to the GPU with the first trace that reads them (leaves that require grad go at once).
// Random tensors come from their own Philox stream, seeded by manualSeed().
import { checkShape, fmt, sizeOf, type DType, type Shape } from '../graph/shape';
import type { HostArray } from '../graph/variable';
import type { Variable } from '../graph/variable';
import { flattenNumbers, toFloat32, toInt32, type NumericData } from '../train/data/host-arrays';
import { tensorStream } from '../random/philox';
import { engine, Tensor } from './tensor';
import type { TensorStats } from './engine';

export interface TensorOptions {
  /** f32 (the default) or i32 (class labels, indices). */
  dtype?: 'f32' | 'i32';
  /** Whether backward() computes a gradient for this tensor (f32 only). */
  requiresGrad?: boolean;
}

/**
 * A tensor from numbers: nested arrays give the shape (`[[1, 2], [3, 4]]` is [2, 2]), a typed array
 * or a flat list takes `shape` (default: one dimension), a number is a scalar.
 *
 * @example
 * ```ts
 * const x = kiln.tensor([[1, 2], [3, 4]]);
 * const labels = kiln.tensor([3, 1, 4], { dtype: 'i32' });
 * const w = kiln.tensor(new Float32Array(6), { shape: [2, 3], requiresGrad: true });
 * ```
 */
export function tensor(data: NumericData | number, options: TensorOptions & { shape?: Shape } = {}): Tensor {
  const dtype: DType = options.dtype ?? (data instanceof Int32Array ? 'i32' : 'f32');
  const { values, shape: nestedShape } = typeof data === 'number' ? { values: [data], shape: [] as Shape } : flattenNumbers('tensor', data);
  const shape = options.shape ?? nestedShape ?? [values.length];
  if (shape.length > 0) checkShape('tensor', shape);
  if (sizeOf(shape) !== values.length) throw new RangeError(`tensor: ${values.length} values given for shape ${fmt(shape)} (${sizeOf(shape)} expected)`);
  const host: HostArray = dtype === 'i32' ? toInt32('tensor', values) : toFloat32('tensor', values);
  return Tensor.fromHost(host === values ? host.slice() : host, shape, dtype, options.requiresGrad ?? false);
}

function filled(what: string, shape: Shape, options: TensorOptions, fill: (out: Float32Array) => void): Tensor {
  if (shape.length > 0) checkShape(what, shape);
  const dtype = options.dtype ?? 'f32';
  const values = new Float32Array(sizeOf(shape));
  fill(values);
  return Tensor.fromHost(dtype === 'i32' ? Int32Array.from(values) : values, shape, dtype, options.requiresGrad ?? false);
}

/** A tensor of zeros. @example `kiln.zeros([2, 3])` */
export const zeros = (shape: Shape, options: TensorOptions = {}): Tensor => filled('zeros', shape, options, () => undefined);

/** A tensor of ones. @example `kiln.ones([4])` */
export const ones = (shape: Shape, options: TensorOptions = {}): Tensor => filled('ones', shape, options, (out) => out.fill(1));

/** A tensor filled with `value`. @example `kiln.full([2, 2], 0.5)` */
export const full = (shape: Shape, value: number, options: TensorOptions = {}): Tensor => filled('full', shape, options, (out) => out.fill(value));

/** Uniform in [0, 1), as torch.rand (seeded by manualSeed). @example `kiln.rand([3])` */
export const rand = (shape: Shape, options: Omit<TensorOptions, 'dtype'> = {}): Tensor =>
  filled('rand', shape, options, (out) => tensorStream().fillUniform(out, 0, 1));

/** Standard normal, as torch.randn (seeded by manualSeed). @example `kiln.randn([1000, 2])` */
export const randn = (shape: Shape, options: Omit<TensorOptions, 'dtype'> = {}): Tensor =>
  filled('randn', shape, options, (out) => tensorStream().fillNormal(out, 0, 1));

/** start, start + step, ... below end, as torch.arange (`arange(5)` is 0..4). */
export function arange(start: number, end?: number, step = 1, options: TensorOptions = {}): Tensor {
  const [from, to] = end === undefined ? [0, start] : [start, end];
  if (step === 0 || !Number.isFinite(step)) throw new RangeError(`arange: step must be a non-zero number, got ${step}`);
  const count = Math.max(0, Math.ceil((to - from) / step));
  if (count === 0) throw new RangeError(`arange: no values from ${from} to ${to} by ${step}`);
  return filled('arange', [count], options, (out) => out.forEach((_, i) => (out[i] = from + i * step)));
}

/** `steps` evenly spaced values from start to end inclusive, as torch.linspace. */
export function linspace(start: number, end: number, steps: number, options: Omit<TensorOptions, 'dtype'> = {}): Tensor {
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`linspace: steps must be a positive integer, got ${steps}`);
  const delta = steps === 1 ? 0 : (end - start) / (steps - 1);
  return filled('linspace', [steps], options, (out) => out.forEach((_, i) => (out[i] = i === steps - 1 ? end : start + i * delta)));
}

/** The tensor standing for a Variable (a module's parameter): the same one each time, with its grad. */
export const asTensor = (variable: Variable): Tensor => Tensor.fromVariable(variable);

/** Ends the step: what was recorded since the last one runs now, in one submit (as torch_xla's mark_step). */
export function markStep(): void {
  engine.close();
}

/** Waits until every step recorded so far has run on the GPU (as torch.cuda.synchronize). */
export function synchronize(): Promise<void> {
  return engine.synchronize();
}

/** Programs compiled, traces run and storages freed by lazy tensors so far: how to check that a loop compiles once. */
export function tensorStats(): TensorStats {
  return { ...engine.stats };
}
