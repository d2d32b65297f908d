// A chain of elementwise ops as one kernel, built by the fusion pass (src/graph/fusion/
// elementwise-chain.ts) from the ops' own WGSL snippets: each step's snippet is renamed apart
// (op -> op_3, S -> S_3, its private helpers likewise) and a generated `op` calls them in order, so the
// elementwise template (shaders/elementwise.wgsl) runs the whole chain with one read per input and one
// write. Intermediates never reach memory. Only the fusion pass makes these nodes, after autodiff,
// so the op has no gradient rule.
import { broadcastShapes, fmt, ShapeError, type Shape } from '../graph/shape';
import { elementwiseKernel, elementwiseSpec, mapCpu, MAX_INPUTS } from './elementwise';
import { defineOp, type AnyOpDef, type CpuTensor } from './op';

/** An argument of a step: one of the fused node's inputs, or the result of an earlier step. */
export type FusedArg = { leaf: number } | { step: number };

export interface FusedStep {
  /** An op made by defineElementwise (not one with its own output shape, such as broadcast_to). */
  op: AnyOpDef;
  attrs: unknown;
  args: readonly FusedArg[];
}

export interface FusedElementwiseAttrs {
  /** Steps in order; the last one's value is the output. */
  steps: readonly FusedStep[];
}

export const fusedElementwiseOp = defineOp<FusedElementwiseAttrs>({
  name: 'fused_elementwise',
  madeBy: 'fusion (src/graph/fusion/): chains of elementwise ops',
  infer(inputs, { steps }) {
    const name = `fused_elementwise(${stepNames(steps)})`;
    if (inputs.length < 1 || inputs.length > MAX_INPUTS) throw new ShapeError(`${name}: takes 1 to ${MAX_INPUTS} inputs, got ${inputs.length}`);
    if (steps.length === 0) throw new ShapeError(`${name}: no steps`);
    for (const x of inputs) if (x.dtype !== 'f32') throw new ShapeError(`${name}: inputs must be f32, got ${x.dtype}${fmt(x.shape)}`);
    steps.forEach((step, i) => {
      const spec = elementwiseSpec(step.op);
      if (!spec || spec.outShape) throw new ShapeError(`${name}: step ${i} (${step.op.name}) is not a fusable elementwise op`);
      if (step.args.length !== spec.arity)
        throw new ShapeError(`${name}: step ${i} (${step.op.name}) takes ${spec.arity} argument(s), got ${step.args.length}`);
      for (const a of step.args) {
        const ok = 'leaf' in a ? a.leaf >= 0 && a.leaf < inputs.length : a.step >= 0 && a.step < i;
        if (!ok) throw new ShapeError(`${name}: step ${i} refers to ${JSON.stringify(a)}, which does not exist`);
      }
    });
    let shape: Shape = inputs[0]!.shape;
    for (const x of inputs.slice(1)) shape = broadcastShapes(name, shape, x.shape);
    return { shape, dtype: 'f32' };
  },
  lower(node, { steps }) {
    const snippets = steps.map((step, i) => renameApart(elementwiseSpec(step.op)!.snippet, `_${i}`));
    const params = node.inputs.map((_, k) => `a${k}: f32`).join(', ');
    const arg = (a: FusedArg) => ('leaf' in a ? `a${a.leaf}` : `v${a.step}`);
    const body = steps.map((step, i) => `  let v${i} = op_${i}(${step.args.map(arg).join(', ')});`);
    const code = [
      ...steps.map((_, i) => `override S_${i}: f32 = 0.0;`),
      ...snippets,
      `fn op(${params}) -> f32 {`,
      ...body,
      `  return v${steps.length - 1};`,
      '}',
    ].join('\n');
    const constants = Object.fromEntries(steps.map((step, i) => [`S_${i}`, elementwiseSpec(step.op)!.scalar?.(step.attrs) ?? 0]));
    const label = `fused(${stepNames(steps)})`;
    return [
      elementwiseKernel(
        label,
        code,
        node.inputs.map((x) => x.shape),
        node.shape,
        0,
        constants,
      ),
    ];
  },
  cpu(inputs, { steps }, out) {
    const values: CpuTensor[] = [];
    for (const step of steps) {
      const spec = elementwiseSpec(step.op)!;
      const args = step.args.map((a) => ('leaf' in a ? inputs[a.leaf]! : values[a.step]!));
      values.push(mapCpu(args, out, (a, b) => spec.cpu(a, b, step.attrs)));
    }
    return values[values.length - 1]!;
  },
});

function stepNames(steps: readonly FusedStep[]): string {
  return steps.map((s) => s.op.name).join('+');
}

/**
 * Gives every name a snippet declares at module scope (functions, private variables, constants, and
 * the override S it may read) a suffix, so several snippets, even the same one twice, fit in one module.
 */
function renameApart(snippet: string, suffix: string): string {
  const declared = new Set(['S']);
  for (const m of snippet.matchAll(/\b(?:fn|const|override)\s+([A-Za-z_]\w*)|var<private>\s+([A-Za-z_]\w*)/g)) declared.add((m[1] ?? m[2])!);
  return snippet.replace(/\b[A-Za-z_]\w*\b/g, (id) => (declared.has(id) ? `${id}${suffix}` : id));
}
