// Reverse-mode automatic differentiation over the graph: each op's gradient rule adds backward nodes
// to the same graph, so the backward pass is compiled, fused and memory-planned like the forward one.
import { add } from '../ops/add';
import { fmt, sameShape, ShapeError } from './shape';
import type { Tensor } from './tensor';

/**
 * Gradients of a scalar `loss` with respect to each tensor of `wrt`, as new graph nodes. A tensor the
 * loss does not depend on gets a zero gradient.
 */
export function grad(loss: Tensor, wrt: readonly Tensor[]): Tensor[] {
  const graph = loss.graph;
  if (loss.size !== 1) throw new ShapeError(`grad: the loss must be a scalar, got shape ${fmt(loss.shape)}`);
  if (loss.dtype !== 'f32') throw new ShapeError(`grad: the loss must be f32, got ${loss.dtype}`);
  for (const w of wrt) {
    if (w.graph !== graph) throw new ShapeError(`grad: ${w} belongs to another graph than the loss`);
    if (w.dtype !== 'f32') throw new ShapeError(`grad: cannot differentiate with respect to ${w} (dtype ${w.dtype})`);
  }

  // Nodes whose value depends on some tensor of `wrt`: only their gradients are needed.
  const targets = new Set(wrt);
  const dependsOnWrt = new Set<Tensor>();
  for (const node of graph.nodes) {
    if (node.id > loss.id) break; // node ids are a topological order
    if (targets.has(node) || node.inputs.some((x) => dependsOnWrt.has(x))) dependsOnWrt.add(node);
  }

  const contributions = new Map<Tensor, Tensor[]>([[loss, [graph.constant(new Float32Array(loss.size).fill(1), loss.shape, 'grad_seed')]]]);
  const totals = new Map<Tensor, Tensor>();
  for (let id = loss.id; id >= 0; id--) {
    const node = graph.nodes[id]!;
    const parts = contributions.get(node);
    if (!parts || !dependsOnWrt.has(node)) continue;
    const dy = parts.reduce((acc, part) => add(acc, part));
    totals.set(node, dy);
    if (node.kind !== 'op') continue;
    const needed = node.inputs.map((x) => dependsOnWrt.has(x));
    if (!needed.some(Boolean)) continue;
    if (!node.op!.grad) throw new ShapeError(`grad: op '${node.op!.name}' has no gradient rule (needed for ${node})`);
    const grads = node.op!.grad({ node, inputs: node.inputs, attrs: node.attrs, dy });
    node.inputs.forEach((x, i) => {
      const g = grads[i];
      if (!needed[i] || !g) return;
      if (!sameShape(g.shape, x.shape)) {
        throw new Error(`grad: the rule of '${node.op!.name}' gave ${fmt(g.shape)} for input ${x} of shape ${fmt(x.shape)}`);
      }
      const list = contributions.get(x);
      if (list) list.push(g);
      else contributions.set(x, [g]);
    });
  }
  return wrt.map((w) => totals.get(w) ?? graph.constant(new Float32Array(w.size), w.shape, `zero_grad_${w.name}`));
}
