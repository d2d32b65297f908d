import type { Graph } from '../../graph/graph';
import type { Tensor } from '../../graph/tensor';
import type { Variable } from '../../graph/variable';
import { sgdUpdate } from '../../ops/sgd-update';
import { checkPositive, Optimizer } from './optimizer';

export interface SgdOptions {
  lr: number;
  momentum?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

/** torch.optim.SGD (dampening 0): one in-place update kernel per parameter. */
export class SGD extends Optimizer {
  readonly momentum: number;
  readonly nesterov: boolean;
  private readonly velocity = new Map<Variable, Variable>();

  constructor({ lr, momentum = 0, weightDecay = 0, nesterov = false }: SgdOptions) {
    checkPositive('sgd: lr', lr);
    checkPositive('sgd: momentum', momentum, true);
    checkPositive('sgd: weightDecay', weightDecay, true);
    if (nesterov && momentum === 0) throw new RangeError('sgd: Nesterov momentum requires a momentum above zero');
    super('sgd', [lr, momentum, weightDecay, 0]);
    this.momentum = momentum;
    this.nesterov = nesterov;
  }

  addUpdates(graph: Graph, params: readonly Tensor[], grads: readonly Tensor[]): void {
    const hyper = graph.variable(this.hyper);
    params.forEach((p, i) => {
      const velocity = this.momentum > 0 ? graph.variable(this.stateFor(this.velocity, p.variable!, 'momentum_buffer')) : null;
      sgdUpdate(p, grads[i]!, hyper, velocity, this.nesterov);
    });
  }

  stateVariables(): Variable[] {
    return [...this.velocity.values()];
  }

  namedState(params: readonly [string, Variable][]): [string, Variable][] {
    if (this.momentum === 0) return [];
    return params.map(([name, p]): [string, Variable] => [`${name}.momentum_buffer`, this.stateFor(this.velocity, p, 'momentum_buffer')]);
  }
}
