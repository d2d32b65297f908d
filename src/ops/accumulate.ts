import snippet from '../../shaders/accumulate.wgsl';
import { fmt, ShapeError } from '../graph/shape';
import type { Tensor } from '../graph/tensor';
import { NO_VALUE } from './effect';
import { defineOp } from './op';
import { f32Literal, lowerScalarEffect } from './scalar-effects';

export interface AccumulateAttrs {
  slot: number;
  scale: number;
}

/** acc[slot] += scale * value, in place: running sums of losses and metrics kept on the GPU. */
export const accumulateOp = defineOp<AccumulateAttrs>({
  name: 'accumulate',
  effect: true,
  infer([acc, value], { slot }) {
    if (acc!.dtype !== 'f32' || acc!.shape.length !== 1)
      throw new ShapeError(`accumulate: the accumulator must be a 1-D f32 tensor, got ${acc!.dtype}${fmt(acc!.shape)}`);
    if (!(Number.isInteger(slot) && slot >= 0 && slot < acc!.shape[0]!))
      throw new ShapeError(`accumulate: slot ${slot} is outside an accumulator of ${acc!.shape[0]}`);
    if (value!.dtype !== 'f32' || value!.shape.reduce((a, b) => a * b, 1) !== 1)
      throw new ShapeError(`accumulate: the value must be an f32 scalar, got ${fmt(value!.shape)}`);
    return NO_VALUE;
  },
  lower: lowerScalarEffect,
  scalarEffect: {
    snippet,
    statement: ({ slot, scale }, [acc, value]) => `${acc}[${slot}u] = accumulate(${acc}[${slot}u], ${value}[0], ${f32Literal(scale)});`,
  },
  cpu([acc, value], { slot, scale }) {
    const data = acc!.data.slice();
    data[slot] = data[slot]! + scale * value!.data[0]!;
    return { shape: acc!.shape, dtype: 'f32', data };
  },
});

export function accumulate(acc: Tensor, value: Tensor, slot = 0, scale = 1): Tensor {
  return acc.graph.apply(accumulateOp, [acc, value], { slot, scale });
}
