// Layers as in torch.nn: a module owns its parameters (Variables, which persist on the GPU across
// compiled programs) and adds its forward computation to a graph when asked.
import type { Tensor } from '../../graph/tensor';
import type { Variable } from '../../graph/variable';

export interface ForwardContext {
  /** Training mode (dropout active) or evaluation mode, as module.train() / module.eval(). */
  training: boolean;
}

export abstract class Module {
  /** Adds this layer's computation on `x` to x's graph. */
  abstract forward(x: Tensor, ctx: ForwardContext): Tensor;

  /** Own parameters by local name (`weight`, `bias`); containers list their children's instead. */
  protected ownParameters(): [string, Variable][] {
    return [];
  }

  /** Child modules by name; containers override. */
  children(): [string, Module][] {
    return [];
  }

  /** Every parameter with PyTorch's dotted name (`fc1.weight`), in registration order. */
  namedParameters(prefix = ''): [string, Variable][] {
    const own = this.ownParameters().map(([name, v]): [string, Variable] => [prefix + name, v]);
    const nested = this.children().flatMap(([name, child]) => child.namedParameters(`${prefix}${name}.`));
    return [...own, ...nested];
  }

  parameters(): Variable[] {
    return this.namedParameters().map(([, v]) => v);
  }
}
