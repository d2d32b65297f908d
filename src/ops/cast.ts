import code from '../../shaders/cast.wgsl';
import halfCode from '../../shaders/cast_f16.wgsl';
import { roundToF16 } from '../graph/half';
import { fmt, ShapeError, type DType } from '../graph/shape';
import type { Tensor } from '../graph/tensor';
import { defineOp, dispatch1d, type KernelCall } from './op';
import { opMethod, type OpMethod } from './op-method';

/** The dtypes `cast` converts between: f32 and i32 either way, f32 and f16 either way. */
export type CastTarget = 'f32' | 'i32' | 'f16';

export interface CastAttrs {
  to: CastTarget;
}

const TARGETS: readonly DType[] = ['f32', 'i32', 'f16'];

/**
 * f32 <-> i32, as torch's .float() and .int(): f32 to i32 truncates toward zero, and no gradient
 * flows. f32 <-> f16, as .half() and .float(): f32 to f16 rounds to the nearest f16, and the gradient
 * passes through as f32 (the gradient of an f16 tensor is an f32 tensor, so no gradient is ever
 * rounded to f16 and no loss scaling is needed).
 */
export const castOp = defineOp<CastAttrs>({
  name: 'cast',
  f16Inputs: true,
  infer([x], { to }) {
    const from = x!.dtype;
    if (from === 'u8') throw new ShapeError(`cast: u8 input ${fmt(x!.shape)} is not supported; only f32, i32 and f16 convert`);
    if (!TARGETS.includes(to)) throw new ShapeError(`cast: cannot convert to ${String(to)}`);
    if ((from === 'f16' && to === 'i32') || (from === 'i32' && to === 'f16'))
      throw new ShapeError(`cast: ${from}${fmt(x!.shape)} to ${to} is not supported; go through f32`);
    return { shape: x!.shape, dtype: to };
  },
  lower(node, { to }): KernelCall[] {
    const from = node.inputs[0]!.dtype;
    const bindings = [{ input: 0 }, { output: true }] as const;
    if (to === 'f16' || from === 'f16') {
      const halves = to === 'f16';
      const invocations = halves ? Math.ceil(node.size / 2) : node.size;
      return [
        {
          code: halfCode,
          entryPoint: halves ? 'to_f16' : 'from_f16',
          constants: { N: node.size },
          bindings: [...bindings],
          workgroups: dispatch1d(invocations),
        },
      ];
    }
    return [{ code, constants: { N: node.size, TO_F32: to === 'f32' ? 1 : 0 }, bindings: [...bindings], workgroups: dispatch1d(node.size) }];
  },
  grad({ inputs: [x], attrs: { to }, dy }) {
    if (x!.dtype === 'i32' || to === 'i32') return [null];
    // f32 -> f16: dy arrives as f32 (see above) and is the gradient of x; f16 -> f32: dy is f32 already.
    return [cast(dy, 'f32')];
  },
  cpu: ([x], { to }, out) => ({
    shape: out.shape,
    dtype: to,
    data: to === 'i32' ? x!.data.map(Math.trunc) : to === 'f16' ? Float64Array.from(x!.data, roundToF16) : Float64Array.from(x!.data, Math.fround),
  }),
});

/** `x` as `to`; the same tensor when it already has that dtype. */
export function cast(x: Tensor, to: CastTarget): Tensor {
  return x.dtype === to ? x : x.graph.apply(castOp, [x], { to });
}

export const castMethod: OpMethod<typeof cast> = opMethod(cast, {
  cases: [
    { label: 'f32 to i32 truncates toward 0', operands: [{ shape: [6], data: [1.5, -1.5, 2.9, -2.9, 0, 7] }], args: (x) => [x, 'i32'], gradient: false },
    { label: 'i32 to f32', operands: [{ shape: [5], dtype: 'i32', lo: -50, hi: 50 }], args: (x) => [x, 'f32'], gradient: false },
    // An odd count: the last word holds one element. Values at f16's edges: subnormals, the largest finite.
    {
      label: 'f32 to f16 rounds to nearest (odd count)',
      operands: [{ shape: [9], data: [1, -2.5, 1 / 3, 1e-7, -6e-8, 65504, 1234.567, 0, 0.1] }],
      args: (x) => [x, 'f16'],
      gradient: false,
      // WGSL lets pack2x16float round to either neighbouring f16; this tolerance (relative to the
      // largest element) admits that. test/f16-mixed.test.ts checks each element against the nearest.
      tolerance: 1e-3,
    },
    {
      label: 'f16 to f32 is exact (of a cast to f16)',
      operands: [{ shape: [7] }],
      args: (x) => [cast(x, 'f16'), 'f32'],
      gradient: false,
    },
  ],
  eager: { method: 'float' },
});
