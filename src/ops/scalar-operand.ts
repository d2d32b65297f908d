// Lets binary ops take a plain number for either operand, as PyTorch does (x * 2, 1 - y).
import type { Tensor } from '../graph/tensor';
import type { AnyOpDef } from './op';

export function binary(op: AnyOpDef, a: Tensor | number, b: Tensor | number): Tensor<'f32'> {
  if (typeof a === 'number' && typeof b === 'number') throw new TypeError(`${op.name}: at least one operand must be a tensor`);
  const graph = typeof a === 'number' ? (b as Tensor).graph : a.graph;
  const ta = typeof a === 'number' ? graph.constant(a) : a;
  const tb = typeof b === 'number' ? graph.constant(b) : b;
  return graph.applyF32(op, [ta, tb], {});
}

export function unary(op: AnyOpDef, x: Tensor, attrs: object = {}): Tensor<'f32'> {
  return x.graph.applyF32(op, [x], attrs);
}
