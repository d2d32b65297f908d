import snippet from '../../shaders/counter_add.wgsl';
import { ShapeError } from '../graph/shape';
import type { Tensor } from '../graph/tensor';
import { NO_VALUE } from './effect';
import { defineOp } from './op';
import { i32Literal, lowerScalarEffect } from './scalar-effects';

export interface CounterAddAttrs {
  amount: number;
}

/** counter += amount, in place, once per step (step counts, dataset cursors). */
export const counterAddOp = defineOp<CounterAddAttrs>({
  name: 'counter_add',
  effect: true,
  infer([c]) {
    if (c!.dtype !== 'i32' || c!.shape.length !== 1 || c!.shape[0] !== 1) throw new ShapeError('counter_add: the counter must be an i32 tensor of shape [1]');
    return NO_VALUE;
  },
  lower: lowerScalarEffect,
  scalarEffect: {
    snippet,
    statement: ({ amount }, [counter]) => `${counter}[0] = counter_add(${counter}[0], ${i32Literal(amount)});`,
  },
  cpu: ([c], { amount }) => ({ shape: [1], dtype: 'i32', data: Float64Array.of(c!.data[0]! + amount) }),
});

export const counterAdd = (counter: Tensor, amount: number): Tensor => counter.graph.apply(counterAddOp, [counter], { amount });
