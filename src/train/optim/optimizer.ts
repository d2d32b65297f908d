// An optimizer adds in-place update nodes for each parameter to a training graph. Its state
// (velocities, moments, step count) and hyperparameters are Variables: they persist across steps and
// programs, and the learning rate changes without recompiling.
import type { Graph } from '../../graph/graph';
import type { Tensor } from '../../graph/tensor';
import { Variable } from '../../graph/variable';
import { lrSchedule, type LrSchedule } from '../../ops/lr-schedule';
import { markStep } from '../../tensor/factories';
import { noGrad } from '../../tensor/grad-mode';
import { Tensor as LazyTensor } from '../../tensor/tensor';

/** What step() updates: lazy tensors, or a module's parameters as model.parameters() lists them. */
export type ParamList = readonly (LazyTensor | Variable)[];

export abstract class Optimizer {
  /** Hyperparameters as the kernels read them; index 0 is always the learning rate. */
  protected readonly hyper: Variable;
  private readonly values: Float32Array;

  /** The tensors step() updates, when the optimizer was made with them (PyTorch style); null for compile(). */
  readonly params: readonly LazyTensor[] | null;

  protected constructor(name: string, values: number[], params: ParamList | null = null) {
    this.values = Float32Array.from(values);
    this.hyper = new Variable(`${name}.hyper`, [values.length], 'f32', { data: this.values.slice() });
    this.params = params ? params.map((p) => (p instanceof LazyTensor ? p : LazyTensor.fromVariable(p))) : null;
    for (const p of this.params ?? []) {
      if (!p.requiresGrad) throw new TypeError(`${name}: ${p.describe()} does not require grad, so no step can update it`);
    }
  }

  /**
   * Updates every parameter that has a gradient (lazy tensors: `optim.sgd(model.parameters(), { lr })`),
   * then ends the step: what the step recorded runs in one submit.
   */
  step(): void {
    const params = this.requireParams('step');
    noGrad(() => {
      const withGrads = params.filter((p): p is LazyTensor & { grad: LazyTensor } => p.grad !== null);
      this.updateTensors(withGrads);
    });
    markStep();
  }

  /** Sets every parameter's gradient to zero (in place, so the next backward writes it without a sum). */
  zeroGrad(): void {
    for (const p of this.requireParams('zeroGrad')) p.grad?.zero_();
  }

  private requireParams(what: string): readonly LazyTensor[] {
    if (!this.params) {
      throw new Error(
        `${what}: this optimizer was made without parameters; make it with them (optim.sgd(model.parameters(), { lr })) to train tensors, or give it to compile() for a compiled trainer`,
      );
    }
    return this.params;
  }

  /** The update of lazy tensors, recorded under noGrad: each parameter with its gradient. */
  protected abstract updateTensors(params: readonly (LazyTensor & { grad: LazyTensor })[]): void;

  /** The learning rate as a one-element tensor fed with each step: a schedule never recompiles. */
  protected lrTensor(scale = 1): LazyTensor {
    return LazyTensor.fromHost(Float32Array.of(this.learningRate * scale), [1], 'f32');
  }

  get learningRate(): number {
    return this.values[0]!;
  }

  /** Changes the learning rate for the following steps (a schedule), without recompiling. */
  setLearningRate(lr: number): void {
    checkPositive('lr', lr);
    this.values[0] = lr;
    this.hyper.assign(this.values.slice());
  }

  /**
   * Adds, before the updates, the write of `schedule`'s learning rate at `iteration` (an i32 [1]
   * counter node) into the hyperparameters the update kernels read: a schedule on the GPU.
   */
  addSchedule(graph: Graph, iteration: Tensor, schedule: LrSchedule): void {
    lrSchedule(graph.variable(this.hyper), iteration, schedule);
  }

  /** Adds the update of each parameter (graph variable nodes) given its gradient. */
  abstract addUpdates(graph: Graph, params: readonly Tensor[], grads: readonly Tensor[]): void;

  /** Optimizer state by name, for checkpoints (`fc1.weight.momentum_buffer`, say). */
  abstract stateVariables(): Variable[];

  /** Which optimizer this is, and its hyperparameters: a checkpoint of one does not load into another. */
  get description(): { kind: string; hyper: number[] } {
    return { kind: this.hyper.name.replace(/\.hyper$/, ''), hyper: Array.from(this.values) };
  }

  /**
   * The state of training `params` (named as the model names them), made now if no step has made it
   * yet, under PyTorch's state names (`fc1.weight.momentum_buffer`, `fc1.weight.exp_avg`, `step`).
   */
  abstract namedState(params: readonly [string, Variable][]): [string, Variable][];

  /** A per-parameter state variable, created on first use and then shared by every program. */
  protected stateFor(store: Map<Variable, Variable>, param: Variable, suffix: string): Variable {
    let state = store.get(param);
    if (!state) {
      state = new Variable(`${param.name}.${suffix}`, param.shape, 'f32');
      store.set(param, state);
    }
    return state;
  }
}

export function checkPositive(name: string, value: number, allowZero = false): void {
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new RangeError(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${value}`);
  }
}

/** Splits `optim.sgd(params, options)` and `optim.sgd(options)`. */
export function paramsAndOptions<O extends object>(first: ParamList | O | undefined, second: O | undefined): [ParamList | null, O | undefined] {
  return Array.isArray(first) ? [first as ParamList, second] : [null, first as O | undefined];
}
