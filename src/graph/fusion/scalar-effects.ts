// One dispatch for a step's scalar effects. A training step ends with several single-element updates
// (the dataset cursor, each dropout layer's counter, the running loss and accuracy, Adam's step
// count), each a one-invocation dispatch of its own. This pass merges each run of them into one
// scalar_effects node (src/ops/scalar-effects.ts) where the run's last member was. A member moves
// later only past nodes that neither read nor write what it updates, and one merged kernel binds at
// most `maxBindings` storage buffers.
import { scalarEffectsOp, type MergedEffect } from '../../ops/scalar-effects';
import { storageRoot } from '../memory-plan';
import type { Tensor } from '../tensor';
import { detachedNode } from './sweep';

const isScalarEffect = (n: Tensor) => n.isEffect && n.op?.scalarEffect !== undefined;

/** The schedule with each run of two or more scalar effects replaced by one node applying them in order. */
export function mergeScalarEffects(schedule: readonly Tensor[], maxBindings: number): Tensor[] {
  const merged: Tensor[] = [];
  let run: Tensor[] = [];
  // The run's bound tensors, and what it updates, by storage (views share their root's).
  let bound = new Map<Tensor, Tensor>();
  let targets = new Set<Tensor>();
  const flush = () => {
    if (run.length === 1) merged.push(run[0]!);
    else if (run.length > 1) merged.push(mergedNode(run));
    run = [];
    bound = new Map();
    targets = new Set();
  };
  for (const node of schedule) {
    if (!isScalarEffect(node)) {
      // A reader of an updated tensor must see the updates made before it, and another effect (which
      // may write any of its inputs) must not change what the run has yet to read.
      if (node.inputs.some((x) => targets.has(storageRoot(x)) || (node.isEffect && bound.has(storageRoot(x))))) flush();
      merged.push(node);
      continue;
    }
    const [target, ...rest] = node.inputs;
    const joins =
      // An input other than its target that the run updates: it must come after the run.
      !rest.some((x) => targets.has(storageRoot(x))) &&
      // One binding per storage: the same tensor may recur, another view of bound storage may not.
      node.inputs.every((x) => (bound.get(storageRoot(x)) ?? x) === x) &&
      // A variable in a shared buffer (a packed model) would alias another binding of it.
      !node.inputs.some((x) => storageRoot(x).variable?.placement) &&
      new Set([...bound.keys(), ...node.inputs.map(storageRoot)]).size <= maxBindings;
    if (!joins) flush();
    for (const x of node.inputs) bound.set(storageRoot(x), x);
    targets.add(storageRoot(target!));
    run.push(node);
  }
  flush();
  return merged;
}

/** One scalar_effects node over the distinct inputs of `run`, the first member's target first. */
function mergedNode(run: readonly Tensor[]): Tensor {
  const inputs: Tensor[] = [];
  const effects: MergedEffect[] = run.map((node) => ({
    op: node.op!,
    attrs: node.attrs,
    inputs: node.inputs.map((x) => {
      const at = inputs.indexOf(x);
      return at >= 0 ? at : inputs.push(x) - 1;
    }),
  }));
  return detachedNode(scalarEffectsOp, inputs, { effects }, run.map((n) => n.op!.name).join('+'));
}
