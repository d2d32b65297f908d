import type { Tensor } from '../../graph/tensor';
import { Module, type ForwardContext } from './module';

/** Modules applied in order; named children give PyTorch's parameter names (`fc1.weight`). */
export class Sequential extends Module {
  private readonly layers: [string, Module][];

  constructor(layers: Record<string, Module> | Module[]) {
    super();
    this.layers = Array.isArray(layers) ? layers.map((m, i): [string, Module] => [String(i), m]) : Object.entries(layers);
    if (this.layers.length === 0) throw new RangeError('sequential: at least one layer is needed');
  }

  override children(): [string, Module][] {
    return this.layers;
  }

  forward(x: Tensor, ctx: ForwardContext): Tensor {
    return this.layers.reduce((h, [, layer]) => layer.forward(h, ctx), x);
  }
}
