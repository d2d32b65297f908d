// argmax(x, axis) -> i32 with that axis removed: the first index of the maximum, as torch.argmax.
import code from '../../shaders/argmax.wgsl';
import { fmt, normalizeAxis, ShapeError, splitAtAxis } from '../graph/shape';
import type { Tensor } from '../graph/tensor';
import { axisKernel } from './axis-kernel';
import { defineOp } from './op';
import { reducedShape } from './reduce';
import { opMethod, type OpMethod } from './op-method';

export interface ArgmaxAttrs {
  /** Non-negative axis of the input. */
  axis: number;
}

export const argmaxOp = defineOp<ArgmaxAttrs>({
  name: 'argmax',
  infer([x], { axis }) {
    if (x!.dtype !== 'f32') throw new ShapeError(`argmax: input must be f32, got ${x!.dtype}${fmt(x!.shape)}`);
    return { shape: reducedShape(x!.shape, normalizeAxis('argmax', axis, x!.shape.length), false), dtype: 'i32' };
  },
  lower: (node, { axis }) => [axisKernel('argmax', code, node.inputs[0]!.shape, axis, [{ input: 0 }, { output: true }])],
  cpu([x], { axis }, out) {
    const { outer, length, inner } = splitAtAxis(x!.shape, axis);
    const data = new Float64Array(outer * inner);
    for (let a = 0; a < outer; a++) {
      for (let b = 0; b < inner; b++) {
        let at = 0;
        for (let r = 1; r < length; r++) {
          if (x!.data[(a * length + r) * inner + b]! > x!.data[(a * length + at) * inner + b]!) at = r;
        }
        data[a * inner + b] = at;
      }
    }
    return { shape: out.shape, dtype: 'i32', data };
  },
  // An index: nothing flows back through it (as torch.argmax, whose output has no grad).
  grad: () => [null],
});

/** Index of the first maximum along `axis` (default the last), which is removed; i32. */
export const argmax = (x: Tensor, axis = -1): Tensor<'i32'> => x.graph.apply(argmaxOp, [x], { axis: normalizeAxis('argmax', axis, x.rank) }) as Tensor<'i32'>;

export const argmaxMethod: OpMethod<typeof argmax> = opMethod(argmax, {
  cases: [
    { label: 'rows', operands: [{ shape: [4, 7], distinct: true }], args: (x) => [x, 1], gradient: false },
    { label: 'columns', operands: [{ shape: [4, 7], distinct: true }], args: (x) => [x, 0], gradient: false },
  ],
  eager: { method: 'argmax' },
});
