// Effects that update single elements from scalars (ops with a `scalarEffect`: counter_add,
// accumulate) as kernels generated from the shaders/scalar_effects.wgsl template. Each such op alone
// lowers through lowerScalarEffect(); the fusion pass (src/graph/fusion/scalar-effects.ts) turns a
// step's run of them into one scalar_effects node, whose one invocation applies them in order.
import template from '../../shaders/scalar_effects.wgsl';
import { ShapeError, type DType } from '../graph/shape';
import type { Tensor } from '../graph/tensor';
import { NO_VALUE } from './effect';
import { defineOp, type AnyOpDef, type CpuTensor, type KernelCall, type ScalarEffect } from './op';

/** One effect of a merged node: its op and attributes, and which of the node's inputs are its own (its target first). */
export interface MergedEffect {
  op: AnyOpDef;
  attrs: unknown;
  inputs: readonly number[];
}

export interface ScalarEffectsAttrs {
  effects: readonly MergedEffect[];
}

function scalarEffectOf(op: AnyOpDef): ScalarEffect<unknown> {
  if (!op.effect || !op.scalarEffect) throw new ShapeError(`scalar_effects: ${op.name} is not a scalar effect`);
  return op.scalarEffect;
}

const ELEMENT: Record<DType, string | null> = { f32: 'f32', i32: 'i32', u8: null, f16: null };

/** The kernel applying `effects` in order, binding one storage array per tensor of `dtypes`. */
export function scalarEffectsCall(label: string, effects: readonly MergedEffect[], dtypes: readonly DType[]): KernelCall {
  const written = new Set(effects.map((e) => e.inputs[0]));
  const names = dtypes.map((_, i) => `t${i}`);
  const bindings = dtypes.map((dtype, i) => {
    const element = ELEMENT[dtype];
    if (!element) throw new ShapeError(`scalar_effects: input ${i} is ${dtype}; scalar effects bind f32 and i32 tensors`);
    return `@group(0) @binding(${i}) var<storage, ${written.has(i) ? 'read_write' : 'read'}> ${names[i]}: array<${element}>;`;
  });
  const snippets = [...new Set(effects.map((e) => scalarEffectOf(e.op).snippet))];
  const statements = effects.map(
    (e) =>
      `  ${scalarEffectOf(e.op).statement(
        e.attrs,
        e.inputs.map((i) => names[i]!),
      )}`,
  );
  const code = template
    .replace('{{BINDINGS}}', () => bindings.join('\n'))
    .replace('{{SNIPPETS}}', () => snippets.join('\n'))
    .replace('{{STATEMENTS}}', () => statements.join('\n'));
  return { label, code, bindings: dtypes.map((_, input) => ({ input })), workgroups: [1, 1, 1] };
}

/** The lowering of a scalar effect on its own: the same template with one statement. */
export function lowerScalarEffect(node: Tensor): KernelCall[] {
  const op = node.op;
  if (!op) throw new Error(`internal: ${node} is not an op node`);
  const effect: MergedEffect = { op, attrs: node.attrs, inputs: node.inputs.map((_, i) => i) };
  return [
    scalarEffectsCall(
      op.name,
      [effect],
      node.inputs.map((t) => t.dtype),
    ),
  ];
}

/** A WGSL f32 literal of x rounded to f32 (the shortest decimal of that f32 reads back as it). */
export function f32Literal(x: number): string {
  const f = Math.fround(x);
  if (!Number.isFinite(f)) throw new RangeError(`scalar_effects: ${x} is not a finite f32`);
  const text = String(f);
  return `${/[.e]/.test(text) ? text : `${text}.0`}f`;
}

/** A WGSL i32 literal, or a RangeError unless x is an integer in i32's range. */
export function i32Literal(x: number): string {
  if (!Number.isInteger(x) || x < -(2 ** 31) || x >= 2 ** 31) throw new RangeError(`scalar_effects: ${x} is not an i32`);
  return `${x}i`;
}

/** Several scalar effects of one step, applied in order by one invocation (made by the fusion pass only). */
export const scalarEffectsOp = defineOp<ScalarEffectsAttrs>({
  name: 'scalar_effects',
  effect: true,
  infer(inputs, { effects }) {
    if (effects.length === 0) throw new ShapeError('scalar_effects: no effects to apply');
    // The effect contract: input 0 is what the node updates, here the first effect's target.
    if (effects[0]!.inputs[0] !== 0) throw new ShapeError("scalar_effects: input 0 must be the first effect's target");
    for (const e of effects) {
      scalarEffectOf(e.op);
      const own = e.inputs.map((i) => {
        const t = inputs[i];
        if (!t) throw new ShapeError(`scalar_effects: ${e.op.name} names input ${i} of ${inputs.length}`);
        return t;
      });
      e.op.infer(own, e.attrs);
    }
    return NO_VALUE;
  },
  lower: (node, { effects }) => [
    scalarEffectsCall(
      'scalar_effects',
      effects,
      node.inputs.map((t) => t.dtype),
    ),
  ],
  /** Applies each effect's own reference in order; returns input 0's new value (the effect contract). */
  cpu(inputs, { effects }) {
    const state: CpuTensor[] = [...inputs];
    for (const e of effects) {
      const own = e.inputs.map((i) => state[i]!);
      state[e.inputs[0]!] = e.op.cpu(own, e.attrs, NO_VALUE);
    }
    return state[0]!;
  },
});
