// An optimizer adds in-place update nodes for each parameter to a training graph. Its state
// (velocities, moments, step count) and hyperparameters are Variables: they persist across steps and
// programs, and the learning rate changes without recompiling.
import type { Graph } from '../../graph/graph';
import type { Tensor } from '../../graph/tensor';
import { Variable } from '../../graph/variable';

export abstract class Optimizer {
  /** Hyperparameters as the kernels read them; index 0 is always the learning rate. */
  protected readonly hyper: Variable;
  private readonly values: Float32Array;

  protected constructor(name: string, values: number[]) {
    this.values = Float32Array.from(values);
    this.hyper = new Variable(`${name}.hyper`, [values.length], 'f32', { data: this.values.slice() });
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
