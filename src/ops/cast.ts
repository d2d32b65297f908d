import code from '../../shaders/cast.wgsl';
import { fmt, ShapeError } from '../graph/shape';
import type { Tensor } from '../graph/tensor';
import { defineOp, dispatch1d } from './op';
import { opMethod, type OpMethod } from './op-method';

export interface CastAttrs {
  to: 'f32' | 'i32';
}

/** f32 <-> i32, as torch's .float() and .int(): f32 to i32 truncates toward zero. No gradient flows. */
export const castOp = defineOp<CastAttrs>({
  name: 'cast',
  infer([x], { to }) {
    if (x!.dtype === 'u8') throw new ShapeError(`cast: u8 input ${fmt(x!.shape)} is not supported; only f32 and i32 convert`);
    if (to !== 'f32' && to !== 'i32') throw new ShapeError(`cast: cannot convert to ${String(to)}`);
    return { shape: x!.shape, dtype: to };
  },
  lower: (node, { to }) => [
    { code, constants: { N: node.size, TO_F32: to === 'f32' ? 1 : 0 }, bindings: [{ input: 0 }, { output: true }], workgroups: dispatch1d(node.size) },
  ],
  grad: () => [null],
  cpu: ([x], { to }, out) => ({ shape: out.shape, dtype: to, data: to === 'i32' ? x!.data.map(Math.trunc) : Float64Array.from(x!.data, Math.fround) }),
});

/** `x` as `to`; the same tensor when it already has that dtype. */
export function cast(x: Tensor, to: 'f32' | 'i32'): Tensor {
  return x.dtype === to ? x : x.graph.apply(castOp, [x], { to });
}

export const castMethod: OpMethod<typeof cast> = opMethod(cast, {
  cases: [
    { label: 'f32 to i32 truncates toward 0', operands: [{ shape: [6], data: [1.5, -1.5, 2.9, -2.9, 0, 7] }], args: (x) => [x, 'i32'], gradient: false },
    { label: 'i32 to f32', operands: [{ shape: [5], dtype: 'i32', lo: -50, hi: 50 }], args: (x) => [x, 'f32'], gradient: false },
  ],
  eager: { method: 'float' },
});
