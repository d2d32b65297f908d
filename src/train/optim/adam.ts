import type { Graph } from '../../graph/graph';
import type { Tensor } from '../../graph/tensor';
import { Variable } from '../../graph/variable';
import { adamUpdate } from '../../ops/adam-update';
import { counterAdd } from '../../ops/counter-add';
import { zeros } from '../../tensor/factories';
import { Tensor as LazyTensor } from '../../tensor/tensor';
import type { Trace } from '../../tensor/trace';
import { checkPositive, Optimizer, paramsAndOptions, type ParamList } from './optimizer';

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

export interface AdamWOptions extends AdamOptions {
  /**
   * Which parameters decay: 'matrices' (the default: weights of rank 2 and more, not biases nor norm
   * weights, as nanoGPT groups them) or 'all' (torch.optim.AdamW given every parameter in one group).
   */
  decay?: 'matrices' | 'all';
}

/** How a member of the Adam family treats weight decay. */
export interface AdamDecayRule {
  /** AdamW's p (1 - lr wd) instead of Adam's L2 term in the gradient. */
  decoupled: boolean;
  /** Whether a parameter of this shape decays. */
  decays(shape: readonly number[]): boolean;
}

const ADAM: AdamDecayRule = { decoupled: false, decays: () => true };

/** torch.optim.Adam (L2 weight decay, no amsgrad); the step count advances on the GPU. */
export class Adam extends Optimizer {
  private readonly m = new Map<Variable, Variable>();
  private readonly v = new Map<Variable, Variable>();
  private readonly stepCount = new Variable('adam.step', [1], 'i32');
  private readonly moments = new Map<LazyTensor, [LazyTensor, LazyTensor]>();
  /** Steps taken by step() (lazy tensors); the compiled trainer counts on the GPU instead. */
  private steps = 0;

  private readonly rule: AdamDecayRule;

  /** `new Adam({ lr })` for compile(), or `new Adam(params, { lr })` to step lazy tensors. */
  constructor(paramsOrOptions?: ParamList | AdamOptions, maybeOptions?: AdamOptions, rule: AdamDecayRule = ADAM, kind = 'adam') {
    const [params, options] = paramsAndOptions<AdamOptions>(paramsOrOptions, maybeOptions);
    const { lr = 1e-3, betas = [0.9, 0.999], eps = 1e-8, weightDecay = 0 } = options ?? {};
    checkPositive('adam: lr', lr);
    for (const b of betas) if (!(b >= 0 && b < 1)) throw new RangeError(`adam: betas must be in [0, 1), got ${betas.join(', ')}`);
    checkPositive('adam: eps', eps, true);
    checkPositive('adam: weightDecay', weightDecay, true);
    super(kind, [lr, betas[0], betas[1], eps, weightDecay], params);
    this.rule = rule;
  }

  addUpdates(graph: Graph, params: readonly Tensor[], grads: readonly Tensor[]): void {
    const hyper = graph.variable(this.hyper);
    const step = graph.variable(this.stepCount);
    // In-place ops run in the order they were added: the count advances before the updates read it.
    counterAdd(step, 1);
    params.forEach((p, i) => {
      const m = graph.variable(this.stateFor(this.m, p.variable!, 'exp_avg'));
      const v = graph.variable(this.stateFor(this.v, p.variable!, 'exp_avg_sq'));
      adamUpdate(p, grads[i]!, hyper, m, v, step, { decoupled: this.rule.decoupled, decay: this.rule.decays(p.shape) });
    });
  }

  protected updateTensors(params: readonly (LazyTensor & { grad: LazyTensor })[]): void {
    const [, beta1, beta2, eps, decayRate] = this.description.hyper as [number, number, number, number, number];
    this.steps++;
    // As torch.optim.Adam: p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
    const stepSize = this.lrTensor(1 / (1 - beta1 ** this.steps));
    const invRootCorrection = LazyTensor.fromHost(Float32Array.of(1 / Math.sqrt(1 - beta2 ** this.steps)), [1], 'f32');
    for (const p of params) {
      let moments = this.moments.get(p);
      if (!moments) {
        moments = [zeros(p.shape), zeros(p.shape)];
        this.moments.set(p, moments);
      }
      const [m, v] = moments;
      const weightDecay = this.rule.decays(p.shape) ? decayRate : 0;
      // The factor 1 - lr wd as a fed tensor, so that a learning-rate schedule keeps one program.
      if (this.rule.decoupled && weightDecay > 0) p.mul_(this.lrTensor(-weightDecay).add(1));
      const l2 = this.rule.decoupled ? 0 : weightDecay;
      const gradient = (g: Trace, pn: Tensor, gn: Tensor): Tensor => (l2 > 0 ? g.add(gn, g.mul(pn, l2)) : gn);
      m.updateFrom('adam', [m, p, p.grad], (g, [mn, pn, gn]) => g.add(g.mul(mn!, beta1), g.mul(gradient(g, pn!, gn!), 1 - beta1)));
      v.updateFrom('adam', [v, p, p.grad], (g, [vn, pn, gn]) => g.add(g.mul(vn!, beta2), g.mul(g.square(gradient(g, pn!, gn!)), 1 - beta2)));
      p.updateFrom('adam', [p, m, v, stepSize, invRootCorrection], (g, [pn, mn, vn, sn, rn]) =>
        g.sub(pn!, g.mul(g.div(mn!, g.add(g.mul(g.pow(vn!, 0.5), rn!), eps)), sn!)),
      );
    }
  }

  stateVariables(): Variable[] {
    return [this.stepCount, ...this.m.values(), ...this.v.values()];
  }

  namedState(params: readonly [string, Variable][]): [string, Variable][] {
    return [
      ['step', this.stepCount],
      ...params.flatMap(([name, p]): [string, Variable][] => [
        [`${name}.exp_avg`, this.stateFor(this.m, p, 'exp_avg')],
        [`${name}.exp_avg_sq`, this.stateFor(this.v, p, 'exp_avg_sq')],
      ]),
    ];
  }
}

/**
 * torch.optim.AdamW: Adam with decoupled weight decay (p shrinks by lr * weightDecay each step, outside
 * the moments), by default 0.01 and only on weights of rank 2 and more (see AdamWOptions.decay).
 */
export class AdamW extends Adam {
  constructor(paramsOrOptions?: ParamList | AdamWOptions, maybeOptions?: AdamWOptions) {
    const [params, options] = paramsAndOptions<AdamWOptions>(paramsOrOptions, maybeOptions);
    const decay = options?.decay ?? 'matrices';
    if (decay !== 'matrices' && decay !== 'all') throw new RangeError(`adamw: decay must be 'matrices' or 'all', got '${String(decay)}'`);
    const rule: AdamDecayRule = { decoupled: true, decays: (shape) => decay === 'all' || shape.length >= 2 };
    const merged: AdamOptions = { weightDecay: 0.01, ...options };
    super(params ?? merged, params ? merged : undefined, rule, 'adamw');
  }
}
