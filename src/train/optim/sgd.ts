import type { Graph } from '../../graph/graph';
import type { Tensor } from '../../graph/tensor';
import type { Variable } from '../../graph/variable';
import { sgdUpdate } from '../../ops/sgd-update';
import { zeros } from '../../tensor/factories';
import type { Tensor as LazyTensor } from '../../tensor/tensor';
import type { Trace } from '../../tensor/trace';
import { checkPositive, Optimizer, paramsAndOptions, type ParamList } from './optimizer';

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
  private readonly buffers = new Map<LazyTensor, LazyTensor>();

  /** `new SGD({ lr })` for compile(), or `new SGD(params, { lr })` to step lazy tensors. */
  constructor(paramsOrOptions: ParamList | SgdOptions, maybeOptions?: SgdOptions) {
    const [params, options] = paramsAndOptions<SgdOptions>(paramsOrOptions, maybeOptions);
    if (!options) throw new TypeError('sgd: options with a learning rate are required: optim.sgd(params, { lr: 0.01 })');
    const { lr, momentum = 0, weightDecay = 0, nesterov = false } = options;
    checkPositive('sgd: lr', lr);
    checkPositive('sgd: momentum', momentum, true);
    checkPositive('sgd: weightDecay', weightDecay, true);
    if (nesterov && momentum === 0) throw new RangeError('sgd: Nesterov momentum requires a momentum above zero');
    super('sgd', [lr, momentum, weightDecay, 0], params);
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

  protected updateTensors(params: readonly (LazyTensor & { grad: LazyTensor })[]): void {
    const lr = this.lrTensor();
    const [, momentum, weightDecay] = this.description.hyper as [number, number, number];
    // As sgd_update: d = g + wd p; buf = momentum buf + d; p -= lr (nesterov ? d + momentum buf : buf).
    const direction = (g: Trace, p: Tensor, grad: Tensor): Tensor => (weightDecay > 0 ? g.add(grad, g.mul(p, weightDecay)) : grad);
    for (const p of params) {
      if (momentum === 0) {
        p.updateFrom('sgd', [p, p.grad, lr], (g, [pn, gn, lrn]) => g.sub(pn!, g.mul(direction(g, pn!, gn!), lrn!)));
        continue;
      }
      let buf = this.buffers.get(p);
      if (!buf) {
        buf = zeros(p.shape);
        this.buffers.set(p, buf);
      }
      buf.updateFrom('sgd', [buf, p, p.grad], (g, [bn, pn, gn]) => g.add(g.mul(bn!, momentum), direction(g, pn!, gn!)));
      p.updateFrom('sgd', [p, p.grad, buf, lr], (g, [pn, gn, bn, lrn]) => {
        const step = this.nesterov ? g.add(direction(g, pn!, gn!), g.mul(bn!, momentum)) : bn!;
        return g.sub(pn!, g.mul(step, lrn!));
      });
    }
  }

  stateVariables(): Variable[] {
    return [...this.velocity.values()];
  }

  namedState(params: readonly [string, Variable][]): [string, Variable][] {
    if (this.momentum === 0) return [];
    return params.map(([name, p]): [string, Variable] => [`${name}.momentum_buffer`, this.stateFor(this.velocity, p, 'momentum_buffer')]);
  }
}
