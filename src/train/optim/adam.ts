import type { Graph } from '../../graph/graph';
import type { Tensor } from '../../graph/tensor';
import { Variable } from '../../graph/variable';
import { adamUpdate } from '../../ops/adam-update';
import { counterAdd } from '../../ops/counter-add';
import { checkPositive, Optimizer } from './optimizer';

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

/** torch.optim.Adam (L2 weight decay, no amsgrad); the step count advances on the GPU. */
export class Adam extends Optimizer {
  private readonly m = new Map<Variable, Variable>();
  private readonly v = new Map<Variable, Variable>();
  private readonly step = new Variable('adam.step', [1], 'i32');

  constructor({ lr = 1e-3, betas = [0.9, 0.999], eps = 1e-8, weightDecay = 0 }: AdamOptions = {}) {
    checkPositive('adam: lr', lr);
    for (const b of betas) if (!(b >= 0 && b < 1)) throw new RangeError(`adam: betas must be in [0, 1), got ${betas.join(', ')}`);
    checkPositive('adam: eps', eps, true);
    checkPositive('adam: weightDecay', weightDecay, true);
    super('adam', [lr, betas[0], betas[1], eps, weightDecay]);
  }

  addUpdates(graph: Graph, params: readonly Tensor[], grads: readonly Tensor[]): void {
    const hyper = graph.variable(this.hyper);
    const step = graph.variable(this.step);
    // In-place ops run in the order they were added: the count advances before the updates read it.
    counterAdd(step, 1);
    params.forEach((p, i) => {
      const m = graph.variable(this.stateFor(this.m, p.variable!, 'exp_avg'));
      const v = graph.variable(this.stateFor(this.v, p.variable!, 'exp_avg_sq'));
      adamUpdate(p, grads[i]!, hyper, m, v, step);
    });
  }

  stateVariables(): Variable[] {
    return [this.step, ...this.m.values(), ...this.v.values()];
  }

  namedState(params: readonly [string, Variable][]): [string, Variable][] {
    return [
      ['step', this.step],
      ...params.flatMap(([name, p]): [string, Variable][] => [
        [`${name}.exp_avg`, this.stateFor(this.m, p, 'exp_avg')],
        [`${name}.exp_avg_sq`, this.stateFor(this.v, p, 'exp_avg_sq')],
      ]),
    ];
  }
}
