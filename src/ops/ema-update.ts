// ema_update: target = (1 - momentum) * target + momentum * value[offset ..], in place (an effect),
// as BatchNorm updates its running statistics. Its kernel is shaders/ema_update.wgsl.
import code from '../../shaders/ema_update.wgsl';
import { fmt, ShapeError } from '../graph/shape';
import type { Tensor } from '../graph/tensor';
import { NO_VALUE } from './effect';
import { defineOp, dispatch1d } from './op';

export interface EmaAttrs {
  momentum: number;
  /** Where target's values start in `value`. */
  offset: number;
}

export const emaUpdateOp = defineOp<EmaAttrs>({
  name: 'ema_update',
  effect: true,
  infer([target, value], { momentum, offset }) {
    if (target!.dtype !== 'f32' || value!.dtype !== 'f32') throw new ShapeError('ema_update: the target and the value must be f32');
    if (!(momentum >= 0 && momentum <= 1)) throw new ShapeError(`ema_update: momentum must be in [0, 1], got ${momentum}`);
    const n = target!.shape.reduce((a, b) => a * b, 1);
    const m = value!.shape.reduce((a, b) => a * b, 1);
    if (!Number.isInteger(offset) || offset < 0 || offset + n > m)
      throw new ShapeError(`ema_update: ${n} values from offset ${offset} do not fit in the value ${fmt(value!.shape)}`);
    return NO_VALUE;
  },
  lower(node, { momentum, offset }) {
    const n = node.inputs[0]!.size;
    return [{ code, constants: { N: n, OFFSET: offset, MOMENTUM: momentum }, bindings: [{ input: 0 }, { input: 1 }], workgroups: dispatch1d(n) }];
  },
  cpu([target, value], { momentum, offset }) {
    const data = target!.data.map((t, i) => (1 - momentum) * t + momentum * value!.data[offset + i]!);
    return { shape: target!.shape, dtype: 'f32', data };
  },
});

/** Moves `target` (a variable) toward value[offset ..] by `momentum`, once per step. */
export const emaUpdate = (target: Tensor, value: Tensor, momentum: number, offset = 0): Tensor =>
  target.graph.apply(emaUpdateOp, [target, value], { momentum, offset });
