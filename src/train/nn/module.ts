// Layers as in torch.nn: a module owns its parameters (Variables, which persist on the GPU across
// compiled programs) and adds its forward computation to a graph when asked. As PyTorch registers
// whatever is assigned to a module's attributes, a Kiln module registers its fields: a field holding
// a trainable Variable is a parameter, one holding a Module (or an array of them, as nn.ModuleList)
// is a child, named by the field. The trainer also refuses a graph that trains a variable the model
// did not register, so nothing is left out of training or checkpoints in silence.
import type { Tensor } from '../../graph/tensor';
import { Variable } from '../../graph/variable';
import { callModule } from '../../tensor/module-call';
import type { Tensor as LazyTensor } from '../../tensor/tensor';

export interface ForwardContext {
  /** Training mode (dropout active) or evaluation mode, as module.train() / module.eval(). */
  training: boolean;
}

/**
 * The base of every layer and model, as torch.nn.Module.
 *
 * @example
 * ```ts
 * class TwoLayer extends nn.Module {
 *   fc1 = nn.linear(784, 128);   // fields are registered: parameters fc1.weight, fc1.bias, ...
 *   fc2 = nn.linear(128, 10);
 *   forward(x: Tensor, ctx: nn.ForwardContext): Tensor {
 *     return this.fc2.forward(relu(this.fc1.forward(x, ctx)), ctx);
 *   }
 * }
 * ```
 */
export abstract class Module {
  /** The mode call() runs in: training (dropout active) unless eval() was called, as torch.nn.Module.training. */
  training = true;

  /** Adds this layer's computation on `x` (a node of a graph) to x's graph. */
  abstract forward(x: Tensor, ctx: ForwardContext): Tensor;

  /**
   * Runs the layer on a lazy tensor (`kiln.tensor`, ...), as `model(x)` in PyTorch; forward() is the
   * same computation on graph nodes.
   *
   * @example
   * ```ts
   * const model = nn.linear(1, 1);
   * const loss = model.call(x).sub(y).square().mean();
   * loss.backward();
   * ```
   */
  call(x: LazyTensor): LazyTensor {
    return callModule(this, x);
  }

  /** Sets training mode (or evaluation mode with false) here and in every module below, as module.train(). */
  train(mode = true): this {
    for (const [, module] of this.namedModules()) module.training = mode;
    return this;
  }

  /** Evaluation mode (dropout off) for call(), as module.eval(). */
  eval(): this {
    return this.train(false);
  }

  /** Own parameters by local name (`weight`, `bias`): every field holding a trainable Variable, in declaration order. */
  protected ownParameters(): [string, Variable][] {
    return Object.entries(this).filter((entry): entry is [string, Variable] => entry[1] instanceof Variable && entry[1].trainable);
  }

  /**
   * Own buffers by local name: state that is saved with the parameters but not trained (BatchNorm's
   * running_mean), as torch's register_buffer. None by default: a layer lists its own.
   */
  protected ownBuffers(): [string, Variable][] {
    return [];
  }

  /** Every buffer with PyTorch's dotted name (`bn1.running_mean`): what state_dict() adds to the parameters. */
  namedBuffers(prefix = ''): [string, Variable][] {
    const own = this.ownBuffers().map(([name, v]): [string, Variable] => [prefix + name, v]);
    const nested = this.children().flatMap(([name, child]) => child.namedBuffers(`${prefix}${name}.`));
    return [...own, ...nested];
  }

  /** Child modules by name: every field holding a Module, and `name.i` for each Module of an array field. */
  children(): [string, Module][] {
    return Object.entries(this).flatMap(([name, value]): [string, Module][] => {
      if (value instanceof Module) return [[name, value]];
      if (Array.isArray(value) && value.length > 0 && value.every((m) => m instanceof Module))
        return value.map((m: Module, i): [string, Module] => [`${name}.${i}`, m]);
      return [];
    });
  }

  /** Every parameter with PyTorch's dotted name (`fc1.weight`), in registration order. */
  namedParameters(prefix = ''): [string, Variable][] {
    const own = this.ownParameters().map(([name, v]): [string, Variable] => [prefix + name, v]);
    const nested = this.children().flatMap(([name, child]) => child.namedParameters(`${prefix}${name}.`));
    return [...own, ...nested];
  }

  /** This module and every module below it, with dotted paths ('' for this one, then `fc1`, `heads.0`). */
  namedModules(prefix = ''): [string, Module][] {
    return [[prefix, this], ...this.children().flatMap(([name, child]) => child.namedModules(prefix ? `${prefix}.${name}` : name))];
  }

  parameters(): Variable[] {
    return this.namedParameters().map(([, v]) => v);
  }
}
