// model.call(x) on a lazy tensor: the module adds its forward computation to the open trace, reading
// its parameters through the tensors that stand for them (so their in-place updates and gradients
// are the ones step() and backward() see).
import type { Module } from '../train/nn/module';
import { detach } from '../ops/detach';
import { gradEnabled } from './grad-mode';
import { engine, Tensor } from './tensor';

export function callModule(module: Module, x: Tensor): Tensor {
  const enabled = gradEnabled();
  const trainable = module.parameters().length > 0;
  let node = module.forward(engine.nodeOf(x, !enabled && x.requiresGrad), { training: module.training });
  // Under noGrad the parameters are read as they are: cut the result from them.
  if (!enabled && trainable) node = detach(node);
  const grad = enabled && (x.requiresGrad || trainable);
  const out = new Tensor(node.shape, node.dtype, { requiresGrad: grad, gradFn: grad ? module.constructor.name : null });
  engine.setPending(out, node);
  return out;
}
