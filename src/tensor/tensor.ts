// Tensors that read like PyTorch's: `x.matmul(w).add(b)`, `loss.backward()`, `w.grad`, `await
// loss.item()`. They are lazy: each op records a node in the open trace (src/tensor/trace.ts) and
// nothing runs until a value is asked for or a step ends; then the trace's forward, backward and
// in-place updates run as one compiled program in one submit (src/tensor/engine.ts), and a loop
// whose iterations record the same structure compiles once.
import { fmt, normalizeAxis, ShapeError, sizeOf, type DType, type Shape } from '../graph/shape';
import type { Tensor as Node } from '../graph/tensor';
import type { HostArray, HostArrayOf } from '../graph/variable';
import { Variable } from '../graph/variable';
import { cast } from '../ops/cast';
import { detach as detachNode } from '../ops/detach';
import type { Axes } from '../ops/reduce';
import { slice } from '../ops/slice';
import { splitSizes } from '../ops/split';
import { backward } from './autograd';
import { Engine, SMALL_ELEMENTS, type ClosedTrace, type TensorState } from './engine';
import { formatTensor } from './format';
import { gradEnabled } from './grad-mode';
import type { Trace } from './trace';

/** Nested arrays as tolist() gives them: a number for a scalar. */
export type NestedList = number | NestedList[];

/** What a tensor method takes where PyTorch takes a tensor or a Python number. */
export type TensorOrNumber = Tensor | number;

/** @internal The one engine lazy tensors record into. */
export const engine = new Engine(moduleVariable);

const wrappers = new WeakMap<Variable, Tensor>();
let nextLabel = 0;

/**
 * A lazy tensor. Make one with `tensor(data)`, `zeros(shape)`, `randn(shape)`, ...; read it with
 * `await t.item()`, `await t.data()`, `await t.tolist()` or `await t.print()`.
 *
 * @example
 * ```ts
 * const w = kiln.tensor([[1, 2], [3, 4]], { requiresGrad: true });
 * const loss = w.mul(w).sum();
 * loss.backward();
 * console.log(await w.grad!.tolist());   // [[2, 4], [6, 8]]
 * ```
 */
export class Tensor {
  readonly shape: Shape;
  readonly dtype: DType;
  /** Whether backward() computes a gradient for this tensor (leaves) or through it. */
  requiresGrad: boolean;
  /** The gradient backward() accumulated here (leaves only), or null before the first backward(). */
  grad: Tensor | null = null;
  /** The op that made it when autograd records one (`mul`, `matmul`), as PyTorch's grad_fn; null for leaves. */
  readonly gradFn: string | null;
  /** @internal Where the value is. */
  state: TensorState;
  /** @internal The GPU storage of a persistent tensor. */
  storage: Variable | null = null;
  /** @internal Kept in GPU storage across traces (leaves, parameters, state, gradients, in-place targets). */
  persistent = false;
  /** @internal Bumped whenever the value changes. */
  version = 0;
  /** @internal How a kept tensor that autograd goes through was computed (see Engine.valueNode). */
  recipe: { closed: ClosedTrace; node: Node } | null = null;
  /** @internal A name for messages and GPU labels. */
  readonly label: string;
  private shown: { version: number; data: HostArray } | null = null;

  /** @internal Tensors are made by kiln.tensor, zeros, ... and by ops, not with new. */
  constructor(shape: Shape, dtype: DType, options: { requiresGrad?: boolean; gradFn?: string | null; label?: string; state?: TensorState }) {
    this.shape = [...shape];
    this.dtype = dtype;
    this.requiresGrad = options.requiresGrad ?? false;
    this.gradFn = options.gradFn ?? null;
    this.label = options.label ?? `t${nextLabel++}`;
    this.state = options.state ?? { kind: 'ready', host: null };
  }

  /** @internal A tensor with a known host value (kiln.tensor, zeros, ...). */
  static fromHost(data: HostArray, shape: Shape, dtype: DType, requiresGrad = false): Tensor {
    if (requiresGrad && dtype !== 'f32') throw new TypeError(`only f32 tensors can require gradients, got ${dtype}`);
    const t = new Tensor(shape, dtype, { requiresGrad, state: { kind: 'ready', host: Promise.resolve(data) } });
    if (requiresGrad) t.makePersistent(data);
    return t;
  }

  /**
   * The tensor standing for a Variable (a module's parameter, an optimizer's state): the same
   * tensor each time, so its `grad` persists.
   */
  static fromVariable(variable: Variable): Tensor {
    let t = wrappers.get(variable);
    if (!t) {
      t = new Tensor(variable.shape, variable.dtype, { requiresGrad: variable.trainable && variable.dtype === 'f32', label: variable.name });
      engine.attach(t, variable, false);
      t.persistent = true;
      wrappers.set(variable, t);
    }
    return t;
  }

  /** True for tensors made by the user (and parameters), false for results of ops that autograd records. */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  /** Number of dimensions. */
  get ndim(): number {
    return this.shape.length;
  }

  /** Number of elements. */
  numel(): number {
    return sizeOf(this.shape);
  }

  /** The shape, or one dimension of it (negative counts from the end), as torch.Tensor.size. */
  size(dim?: number): number | Shape {
    return dim === undefined ? this.shape : this.shape[normalizeAxis('size', dim, this.ndim)]!;
  }

  // ---- values -------------------------------------------------------------------------------

  /** The values as a typed array (Float32Array for f32, Int32Array for i32): runs what is pending. */
  async data<D extends DType = DType>(): Promise<HostArrayOf<D>> {
    const version = this.version;
    const values = await engine.host(this);
    if (this.version === version || this.state.kind === 'ready') this.shown = { version: this.version, data: values };
    return values.slice() as HostArrayOf<D>;
  }

  /** The value of a one-element tensor as a number, as torch.Tensor.item. */
  async item(): Promise<number> {
    if (this.numel() !== 1) throw new RangeError(`item: a tensor with ${this.numel()} elements cannot be converted to a number (shape ${fmt(this.shape)})`);
    return (await this.data())[0]!;
  }

  /** The values as nested arrays, as torch.Tensor.tolist. */
  async tolist(): Promise<NestedList> {
    const values = await this.data();
    const build = (dim: number, offset: number): NestedList => {
      if (dim === this.ndim) return values[offset]!;
      const stride = sizeOf(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim]! }, (_, i) => build(dim + 1, offset + i * stride));
    };
    return build(0, 0);
  }

  /** Logs the tensor as PyTorch prints it (`tensor([[1.0000, 2.0000]], requires_grad=True)`) and returns that text. */
  async print(): Promise<string> {
    await this.data();
    const text = this.toString();
    console.log(text);
    return text;
  }

  /** PyTorch's repr once the value is known (after data(), item(), print()); before, the shape and that it is pending. */
  toString(): string {
    const known = this.shown && this.shown.version === this.version ? this.shown.data : null;
    return formatTensor(known, this.shape, this.dtype, { requiresGrad: this.requiresGrad, gradFn: this.gradFn });
  }

  /**
   * Keeps the value in GPU storage when its step runs, so that it can be read later even after the
   * variables it came from were updated (small tensors are kept anyway, on the host).
   */
  keep(): this {
    this.persistent = true;
    return this;
  }

  /** @internal Gives the tensor GPU storage holding `data` now. */
  makePersistent(data: HostArray): void {
    this.persistent = true;
    if (!this.storage) engine.attach(this, new Variable(this.label, this.shape, this.dtype, { data: data as HostArrayOf<DType> }), true);
  }

  /** Short description for messages: `tensor t3 f32[64,10] (matmul)`. */
  describe(): string {
    return `tensor ${this.label} ${this.dtype}${fmt(this.shape)}${this.gradFn ? ` (${this.gradFn})` : ''}`;
  }

  // ---- autograd -----------------------------------------------------------------------------

  /**
   * Adds d(this)/d(leaf) to the `grad` of every leaf with requiresGrad that this tensor depends on.
   * A non-scalar tensor needs `gradient` (of its shape), as in PyTorch.
   */
  backward(gradient?: Tensor): void {
    backward(this, gradient);
  }

  /** The same value cut from autograd: no gradient flows through it. */
  detach(): Tensor {
    return record('detach', [this], ([x]) => detachNode(x!), false);
  }

  /** Sets requiresGrad on a leaf, as torch.Tensor.requires_grad_: `kiln.randn([3]).mul(0.1).requiresGrad_()`. */
  requiresGrad_(flag = true): this {
    if (!this.isLeaf) throw new Error(`requiresGrad_: ${this.describe()} is not a leaf; use detach() to make one`);
    if (flag && this.dtype !== 'f32') throw new TypeError(`only f32 tensors can require gradients, got ${this.dtype}`);
    this.requiresGrad = flag;
    if (flag && !this.storage) {
      // A leaf with a gradient lives in GPU storage: from here its value is the node it has now.
      this.persistent = true;
      engine.setPending(this, engine.nodeOf(this));
    }
    return this;
  }

  // ---- ops ------------------------------------------------------------------------------------

  add(other: TensorOrNumber): Tensor {
    return binary('add', this, other, (g, a, b) => g.add(a, b));
  }
  sub(other: TensorOrNumber): Tensor {
    return binary('sub', this, other, (g, a, b) => g.sub(a, b));
  }
  mul(other: TensorOrNumber): Tensor {
    return binary('mul', this, other, (g, a, b) => g.mul(a, b));
  }
  div(other: TensorOrNumber): Tensor {
    return binary('div', this, other, (g, a, b) => g.div(a, b));
  }
  /** 1 where equal, else 0 (f32), as torch.eq with its result as float. */
  eq(other: TensorOrNumber): Tensor {
    return binary('eq', this, other, (g, a, b) => g.equal(a, b), false);
  }
  neg(): Tensor {
    return unary('neg', this, (g, x) => g.neg(x));
  }
  exp(): Tensor {
    return unary('exp', this, (g, x) => g.exp(x));
  }
  log(): Tensor {
    return unary('log', this, (g, x) => g.log(x));
  }
  pow(exponent: number): Tensor {
    return unary('pow', this, (g, x) => g.pow(x, exponent));
  }
  square(): Tensor {
    return unary('square', this, (g, x) => g.square(x));
  }
  sqrt(): Tensor {
    return unary('sqrt', this, (g, x) => g.pow(x, 0.5));
  }
  relu(): Tensor {
    return unary('relu', this, (g, x) => g.relu(x));
  }
  sigmoid(): Tensor {
    return unary('sigmoid', this, (g, x) => g.sigmoid(x));
  }
  tanh(): Tensor {
    return unary('tanh', this, (g, x) => g.tanh(x));
  }
  /** The matrix product; operands of rank 3 or more are batches of matrices, broadcast as torch.matmul's. */
  matmul(other: Tensor): Tensor {
    const batched = this.ndim > 2 || other.ndim > 2;
    return record('matmul', [this, other], ([a, b]) => (batched ? a!.graph.batchMatmul(a!, b!) : a!.graph.matmul(a!, b!)));
  }
  /** Sum over `dim` (all dimensions when absent), as torch.sum. */
  sum(dim?: Axes, keepdim = false): Tensor {
    return unary('sum', this, (g, x) => g.sum(x, dim, keepdim));
  }
  mean(dim?: Axes, keepdim = false): Tensor {
    return unary('mean', this, (g, x) => g.mean(x, dim, keepdim));
  }
  /** The maximum over `dim` (all dimensions when absent): values only (argmax gives the indices). */
  max(dim?: Axes, keepdim = false): Tensor {
    return unary('max', this, (g, x) => g.max(x, dim, keepdim));
  }
  /** Index of the maximum along `dim` (of the flattened tensor when absent), i32. */
  argmax(dim?: number): Tensor {
    if (dim === undefined) return this.reshape([-1]).argmax(0);
    return record('argmax', [this], ([x]) => x!.graph.argmax(x!, dim), false);
  }
  softmax(dim = -1): Tensor {
    return unary('softmax', this, (g, x) => g.softmax(x, dim));
  }
  logSoftmax(dim = -1): Tensor {
    return unary('logSoftmax', this, (g, x) => g.logSoftmax(x, dim));
  }
  /** `length` elements of `dim` from `start` (negative counts from the end), as torch.narrow. */
  narrow(dim: number, start: number, length: number): Tensor {
    const d = normalizeAxis('narrow', dim, this.ndim);
    const size = this.shape[d]!;
    const from = start < 0 ? start + size : start;
    if (!Number.isInteger(from) || !Number.isInteger(length) || from < 0 || length < 1 || from + length > size) {
      throw new RangeError(`narrow: elements ${start}..${start + length - 1} of dimension ${dim} (size ${size}) are out of range`);
    }
    const starts = this.shape.map((_, i) => (i === d ? from : 0));
    const sizes = this.shape.map((n, i) => (i === d ? length : n));
    return record('slice', [this], ([x]) => slice(x!, starts, sizes));
  }
  /**
   * Elements start..end-1 of `dim`, as `x[:, start:end]` in Python: negative indices count from the
   * end and out-of-range ones are clamped; an empty range is an error (Kiln has no empty tensors).
   */
  slice(dim: number, start = 0, end?: number): Tensor {
    const size = this.shape[normalizeAxis('slice', dim, this.ndim)]!;
    const clamp = (i: number) => Math.min(size, Math.max(0, i < 0 ? i + size : i));
    const [from, to] = [clamp(start), clamp(end ?? size)];
    if (to <= from) throw new RangeError(`slice: ${start}:${end ?? ''} of dimension ${dim} (size ${size}) is empty`);
    return this.narrow(dim, from, to - from);
  }
  /** Consecutive pieces along `dim`: of `sizes` elements each, or of the listed sizes, as torch.split. */
  split(sizes: number | readonly number[], dim = 0): Tensor[] {
    const d = normalizeAxis('split', dim, this.ndim);
    let at = 0;
    return splitSizes(this.shape[d]!, sizes, d).map((n) => this.narrow(d, (at += n) - n, n));
  }
  /** `chunks` pieces along `dim`, the last smaller when it does not divide, as torch.chunk. */
  chunk(chunks: number, dim = 0): Tensor[] {
    if (!Number.isInteger(chunks) || chunks < 1) throw new RangeError(`chunk: the number of chunks must be a positive integer, got ${chunks}`);
    return this.split(Math.ceil(this.shape[normalizeAxis('chunk', dim, this.ndim)]! / chunks), dim);
  }
  /** The slice at `index` of `dim`, that dimension removed, as torch.select: `x.select(0, i)` is row i, `x.select(1, j)` column j. */
  select(dim: number, index: number): Tensor {
    const d = normalizeAxis('select', dim, this.ndim);
    return this.narrow(d, index, 1).reshape(this.shape.filter((_, i) => i !== d));
  }
  /** As f32, as torch.Tensor.float() (labels to compare with predictions, counts to average). */
  float(): Tensor {
    return this.dtype === 'f32' ? this : record('float', [this], ([x]) => cast(x!, 'f32'), false);
  }
  /** As i32, truncated toward zero, as torch.Tensor.int(). */
  int(): Tensor {
    return this.dtype === 'i32' ? this : record('int', [this], ([x]) => cast(x!, 'i32'), false);
  }
  /** The same values with another shape (one dimension may be -1), as torch.reshape. */
  reshape(shape: Shape): Tensor {
    return record('reshape', [this], ([x]) => x!.graph.reshape(x!, shape));
  }
  /** As reshape: Kiln tensors are always contiguous. */
  view(shape: Shape): Tensor {
    return this.reshape(shape);
  }
  flatten(startDim = 0, endDim = -1): Tensor {
    return record('flatten', [this], ([x]) => x!.graph.flatten(x!, startDim, endDim));
  }
  /** Inserts a dimension of size 1 at `dim`. */
  unsqueeze(dim: number): Tensor {
    const at = normalizeAxis('unsqueeze', dim, this.ndim + 1);
    return this.reshape([...this.shape.slice(0, at), 1, ...this.shape.slice(at)]);
  }
  /** Removes dimensions of size 1 (only `dim` when given). */
  squeeze(dim?: number): Tensor {
    if (dim === undefined) return this.reshape(this.shape.filter((d) => d !== 1));
    const at = normalizeAxis('squeeze', dim, this.ndim);
    return this.shape[at] === 1 ? this.reshape(this.shape.filter((_, i) => i !== at)) : this;
  }
  /** Broadcasts to `shape`, as torch.Tensor.expand (the values are copied). */
  expand(shape: Shape): Tensor {
    return record('expand', [this], ([x]) => x!.graph.broadcastTo(x!, shape));
  }
  permute(dims: readonly number[]): Tensor {
    return record('permute', [this], ([x]) => x!.graph.permute(x!, dims));
  }
  transpose(dim0: number, dim1: number): Tensor {
    const dims = this.shape.map((_, i) => i);
    const a = normalizeAxis('transpose', dim0, this.ndim);
    const b = normalizeAxis('transpose', dim1, this.ndim);
    [dims[a], dims[b]] = [dims[b]!, dims[a]!];
    return this.permute(dims);
  }
  /** The transpose of a matrix (rank 2 or less), as torch.Tensor.t. */
  t(): Tensor {
    if (this.ndim > 2) throw new ShapeError(`t: expects a tensor of rank at most 2, got ${fmt(this.shape)}; use transpose(dim0, dim1)`);
    return this.ndim < 2 ? this : this.transpose(0, 1);
  }

  // ---- in place -------------------------------------------------------------------------------

  add_(other: TensorOrNumber): this {
    return this.inPlace('add_', other, (g, a, b) => g.add(a, b));
  }
  sub_(other: TensorOrNumber): this {
    return this.inPlace('sub_', other, (g, a, b) => g.sub(a, b));
  }
  mul_(other: TensorOrNumber): this {
    return this.inPlace('mul_', other, (g, a, b) => g.mul(a, b));
  }
  div_(other: TensorOrNumber): this {
    return this.inPlace('div_', other, (g, a, b) => g.div(a, b));
  }
  /** Sets every element to 0 in place (a gradient, as grad.zero_()). */
  zero_(): this {
    return this.fill_(0);
  }
  /** Sets every element to `value` in place. */
  fill_(value: number): this {
    this.updateFrom('fill_', [], (g) => {
      const node = g.broadcastTo(g.constant(value), this.shape);
      if (value === 0) g.zeros.add(node);
      return node;
    });
    return this;
  }
  /** Copies `source`'s values (broadcast to this shape) in place. */
  copy_(source: Tensor): this {
    this.updateFrom('copy_', [source], (g, [s]) => (s!.shape.join() === this.shape.join() ? s! : g.broadcastTo(s!, this.shape)));
    return this;
  }

  /**
   * @internal Sets the value in place to an expression of other tensors, recorded as graph ops: what
   * every in-place method and an optimizer's update do. No intermediate tensor is made, so nothing
   * of the expression is kept or read back.
   */
  updateFrom(what: string, inputs: readonly Tensor[], build: (g: Trace, nodes: Node[]) => Node): void {
    if (gradEnabled() && this.isLeaf && this.requiresGrad) {
      throw new Error(
        `${what}: a leaf tensor that requires grad is being used in an in-place operation (${this.describe()}); do it inside kiln.noGrad(() => ...)`,
      );
    }
    this.persistIfLived();
    const enabled = gradEnabled();
    const node = build(
      engine.trace,
      inputs.map((t) => engine.nodeOf(t, !enabled && t.requiresGrad)),
    );
    if (node.shape.join() !== this.shape.join() || node.dtype !== this.dtype) {
      throw new ShapeError(`${what}: the result ${node.dtype}${fmt(node.shape)} cannot be written into ${this.describe()}`);
    }
    if (enabled && !this.isLeaf && inputs.some((t) => t.requiresGrad)) this.requiresGrad = true;
    engine.setPending(this, node);
  }

  private inPlace(what: string, other: TensorOrNumber, build: (g: Trace, a: Node, b: Node | number) => Node): this {
    if (typeof other === 'number') this.updateFrom(what, [this], (g, [a]) => build(g, a!, other));
    else this.updateFrom(what, [this, other], (g, [a, b]) => build(g, a!, b!));
    return this;
  }

  /**
   * A tensor updated in place that already had a value (made by the user, or by an earlier step) is
   * one that lives across steps: it gets GPU storage, rather than a recipe that would grow each step.
   */
  private persistIfLived(): void {
    if (this.state.kind === 'pending') return;
    // A small host value stays one: it is read back with its step and fed to the next, so a loop that
    // makes a fresh accumulator each iteration keeps one program (storage is bound by identity).
    if (!this.storage && this.numel() <= SMALL_ELEMENTS && this.state.kind === 'ready' && this.state.host) return;
    this.persistent = true;
  }
}

/** Records one op on lazy tensors: inputs become nodes of the open trace, the result a pending tensor. */
export function record(name: string, inputs: readonly Tensor[], build: (nodes: Node[]) => Node, differentiable = true): Tensor {
  const enabled = gradEnabled();
  const grad = differentiable && enabled && inputs.some((t) => t.requiresGrad);
  const nodes = inputs.map((t) => engine.nodeOf(t, !enabled && t.requiresGrad));
  const node = build(nodes);
  const out = new Tensor(node.shape, node.dtype, { requiresGrad: grad, gradFn: grad ? name : null });
  engine.setPending(out, node);
  return out;
}

function unary(name: string, x: Tensor, build: (g: Trace, x: Node) => Node): Tensor {
  return record(name, [x], ([n]) => build(engine.trace, n!));
}

function binary(name: string, a: Tensor, b: TensorOrNumber, build: (g: Trace, a: Node, b: Node | number) => Node, differentiable = true): Tensor {
  if (typeof b === 'number') return record(name, [a], ([x]) => build(engine.trace, x!, b), differentiable);
  return record(name, [a, b], ([x, y]) => build(engine.trace, x!, y!), differentiable);
}

/** How the open trace resolves a variable a module reads: through the tensor standing for it. */
function moduleVariable(trace: Trace, variable: Variable): Node {
  const t = Tensor.fromVariable(variable);
  if (trace !== engine.trace) throw new Error(`internal: a module read ${variable.name} in a trace that is not open`);
  return engine.nodeOf(t);
}
