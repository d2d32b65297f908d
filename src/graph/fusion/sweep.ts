// One pass of rules over a schedule in execution order. Each node gets its inputs rewritten to what
// earlier nodes became, then every rule is tried until none applies (so chains grow one node at a
// time). Nodes no longer read by anything that is fetched or has an effect are dropped at the end.
import type { AnyOpDef } from '../../ops/op';
import { Tensor } from '../tensor';
import type { FusionContext, FusionRule } from './rule';

export interface FusedSchedule {
  schedule: Tensor[];
  /** The fetched tensors, in the order given, as the nodes that now compute them. */
  outputs: Tensor[];
}

/** Detached nodes (made by passes, outside the user's graph) get ids after the graph's own, so describe() tells them apart. */
const nextId = new WeakMap<object, number>();

export function sweep(schedule: readonly Tensor[], outputs: readonly Tensor[], rules: readonly FusionRule[]): FusedSchedule {
  if (rules.length === 0 || schedule.length === 0) return { schedule: [...schedule], outputs: [...outputs] };
  const readers = new Map<Tensor, Tensor[]>();
  for (const node of schedule) {
    for (const x of new Set(node.inputs)) {
      const list = readers.get(x) ?? [];
      list.push(node);
      readers.set(x, list);
    }
  }
  const fetched = new Set(outputs);
  const rewritten = new Map<Tensor, Tensor>();
  // A rewritten node stands for the original whose value it computes (for use counts).
  const originalOf = new Map<Tensor, Tensor>();
  const original = (t: Tensor) => originalOf.get(t) ?? t;
  const done = new Set<Tensor>();
  const ctx: FusionContext = {
    uses: (t) => (readers.get(original(t))?.length ?? 0) + (fetched.has(original(t)) ? 1 : 0),
    consumers: (t) => readers.get(original(t)) ?? [],
    runsBefore: (t) => done.has(original(t)),
    current: (t) => rewritten.get(t) ?? t,
    node: (op, inputs, attrs, name) => detachedNode(op, inputs, attrs, name ?? op.name),
  };

  const emitted: Tensor[] = [];
  for (const node of schedule) {
    let current = node;
    const inputs = node.inputs.map(ctx.current);
    if (inputs.some((x, i) => x !== node.inputs[i])) current = detachedNode(node.op!, inputs, node.attrs, node.name);
    for (let changed = true; changed;) {
      changed = false;
      for (const rule of rules) {
        const replacement = rule.apply(current, ctx);
        if (!replacement) continue;
        checkSameValue(rule, current, replacement);
        current = replacement;
        changed = true;
      }
    }
    if (current !== node) {
      rewritten.set(node, current);
      originalOf.set(current, node);
    }
    emitted.push(current);
    done.add(node);
  }
  const newOutputs = outputs.map(ctx.current);
  return { schedule: liveNodes(emitted, newOutputs), outputs: newOutputs };
}

export function detachedNode(op: AnyOpDef, inputs: readonly Tensor[], attrs: unknown, name: string): Tensor {
  const graph = inputs[0]?.graph;
  if (!graph) throw new Error(`internal: fused node ${name} has no inputs`);
  const meta = op.infer(inputs, attrs);
  const id = nextId.get(graph) ?? graph.nodes.length + 1000;
  nextId.set(graph, id + 1);
  return new Tensor(graph, id, { kind: 'op', name, shape: meta.shape, dtype: meta.dtype, op, inputs, attrs });
}

function checkSameValue(rule: FusionRule, before: Tensor, after: Tensor): void {
  const same = before.dtype === after.dtype && before.shape.length === after.shape.length && before.shape.every((d, i) => d === after.shape[i]);
  if (!same || before.isEffect !== after.isEffect) throw new Error(`internal: fusion rule ${rule.name} changed ${before} into ${after}`);
}

/** The emitted nodes still needed by the fetched outputs or by effects, in execution order. */
function liveNodes(emitted: readonly Tensor[], outputs: readonly Tensor[]): Tensor[] {
  const live = new Set<Tensor>();
  const stack = [...outputs, ...emitted.filter((n) => n.isEffect)];
  while (stack.length) {
    const t = stack.pop()!;
    if (live.has(t)) continue;
    live.add(t);
    stack.push(...t.inputs);
  }
  return emitted.filter((n) => live.has(n));
}
