// loss.backward() for lazy tensors: the static graph's reverse-mode autodiff (src/graph/autodiff.ts)
// run on the open trace, from the loss to the leaves it depends on; the gradients become pending
// values of each leaf's `grad`, accumulated as PyTorch does until zeroed.
import { grad } from '../graph/autodiff';
import { fmt, sameShape } from '../graph/shape';
import type { Tensor as Node } from '../graph/tensor';
import { engine, Tensor } from './tensor';

export function backward(root: Tensor, gradient?: Tensor): void {
  if (!root.requiresGrad) {
    throw new Error(`backward: ${root.describe()} does not require grad and has no grad_fn (no leaf with requiresGrad: true was used to compute it)`);
  }
  let loss = engine.nodeOf(root);
  if (gradient) {
    if (!sameShape(gradient.shape, root.shape)) throw new RangeError(`backward: gradient has shape ${fmt(gradient.shape)}, the tensor ${fmt(root.shape)}`);
    const g = loss.graph;
    loss = g.sum(g.mul(loss, engine.nodeOf(gradient, true)));
  } else if (root.numel() !== 1) {
    throw new RangeError(
      `backward: grad can be implicitly created only for scalar outputs; ${root.describe()} needs backward(gradient) with a gradient of shape ${fmt(root.shape)}`,
    );
  }
  const leaves = leavesOf(loss);
  if (leaves.size === 0) return;
  const nodes = [...leaves.values()].flat();
  const grads = grad(loss, nodes);
  let at = 0;
  for (const [leaf, read] of leaves) {
    // A leaf read at two versions (updated under noGrad in between) gets the sum of both gradients:
    // each read is its own node, holding the value it had then.
    let total = grads[at++]!;
    for (let i = 1; i < read.length; i++) total = total.graph.add(total, grads[at++]!);
    accumulate(leaf, total);
  }
}

/** The leaves with requiresGrad that `loss` depends on, each with the nodes it was read as. */
function leavesOf(loss: Node): Map<Tensor, Node[]> {
  const registered = engine.trace.leaves;
  const found = new Map<Tensor, Node[]>();
  const seen = new Set<Node>();
  const stack = [loss];
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    const leaf = registered.get(n);
    if (leaf) {
      const list = found.get(leaf);
      if (list) list.push(n);
      else found.set(leaf, [n]);
      continue;
    }
    stack.push(...n.inputs);
  }
  return found;
}

function accumulate(leaf: Tensor, g: Node): void {
  if (!leaf.grad) {
    const t = new Tensor(leaf.shape, 'f32', { label: `${leaf.label}.grad` });
    t.persistent = true;
    engine.setPending(t, g);
    leaf.grad = t;
    return;
  }
  const current = engine.nodeOf(leaf.grad);
  engine.setPending(leaf.grad, engine.trace.zeros.has(current) ? g : current.graph.add(current, g));
}
