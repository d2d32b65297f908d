// where(condition, a, b): a where the condition is nonzero, else b, with NumPy broadcasting of all
// three, as torch.where; maskedFill(x, mask, value) is where(mask, value, x), as masked_fill. The
// condition is an f32 mask (1 true, 0 false: what equal() and comparisons make). The kernel is the
// elementwise map (shaders/elementwise.wgsl) with three inputs; no gradient flows into the mask.
import snippet from '../../shaders/where.wgsl';
import { broadcastShapes, fmt, ShapeError, sizeOf } from '../graph/shape';
import type { Tensor } from '../graph/tensor';
import { elementwiseKernel, mapCpu } from './elementwise';
import { defineOp } from './op';
import { opMethod, type OpMethod } from './op-method';
import { sumTo } from './sum';

const MAX_RANK = 8;

export const whereOp = defineOp({
  name: 'where',
  infer(inputs) {
    if (inputs.length !== 3) throw new ShapeError(`where: expected a condition and two values, got ${inputs.length} input(s)`);
    const [c, a, b] = inputs;
    for (const [role, t] of [
      ['condition', c!],
      ['a', a!],
      ['b', b!],
    ] as const) {
      if (t.dtype !== 'f32') throw new ShapeError(`where: the ${role} must be f32 (a mask of 1s and 0s for the condition), got ${t.dtype}${fmt(t.shape)}`);
    }
    const shape = broadcastShapes('where', broadcastShapes('where', c!.shape, a!.shape), b!.shape);
    if (shape.length > MAX_RANK) throw new ShapeError(`where: rank ${shape.length} exceeds the supported ${MAX_RANK}`);
    return { shape, dtype: 'f32' };
  },
  lower: (node) => [
    elementwiseKernel(
      'where',
      snippet,
      node.inputs.map((x) => x.shape),
      node.shape,
      0,
    ),
  ],
  grad: ({ inputs: [c, a, b], dy }) => {
    const zero = dy.graph.constant(0);
    return [null, sumTo(where(c!, dy, zero), a!.shape), sumTo(where(c!, zero, dy), b!.shape)];
  },
  cpu: (inputs, _attrs, out) => mapCpu(inputs, out, (c, a, b) => (c !== 0 ? a : b)),
});

/** a where `condition` is nonzero, else b; either value may be a number. */
export function where(condition: Tensor, a: Tensor | number, b: Tensor | number): Tensor<'f32'> {
  const g = condition.graph;
  const value = (v: Tensor | number): Tensor => (typeof v === 'number' ? g.constant(v) : v);
  return g.applyF32(whereOp, [condition, value(a), value(b)], {});
}

/** x with `value` where `mask` is nonzero, as torch.Tensor.masked_fill (an attention mask, say). */
export const maskedFill = (x: Tensor, mask: Tensor, value: number): Tensor<'f32'> => where(mask, value, x);

const mask = (shape: number[], seed: number) => Array.from({ length: sizeOf(shape) }, (_, i) => ((i * 7 + seed) % 3 === 0 ? 1 : 0));

export const whereMethod: OpMethod<typeof where, 'derived-functional'> = opMethod(where, {
  cases: [
    {
      label: 'same shapes',
      operands: [{ shape: [3, 5], data: mask([3, 5], 1) }, { shape: [3, 5] }, { shape: [3, 5] }],
      args: (c, a, b) => [c, a, b],
      gradient: { constant: [0] },
    },
    {
      label: 'a broadcast mask and value',
      operands: [{ shape: [4, 1], data: [1, 0, 0, 1] }, { shape: [4, 6] }, { shape: [6] }],
      args: (c, a, b) => [c, a, b],
      gradient: { constant: [0] },
    },
  ],
  eager: 'derived-functional',
});

export const maskedFillMethod: OpMethod<typeof maskedFill, 'derived'> = opMethod(maskedFill, {
  cases: [
    {
      label: 'a causal mask, broadcast over a batch',
      operands: [{ shape: [2, 4, 4] }, { shape: [4, 4], data: [0, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0] }],
      args: (x, m) => [x, m, -5],
      gradient: { constant: [1] },
    },
    {
      // Forward only: a loss holding -1e9 leaves central differences no precision.
      label: 'filled with -1e9',
      operands: [{ shape: [3, 3] }, { shape: [3, 3], data: [0, 1, 1, 0, 0, 1, 0, 0, 0] }],
      args: (x, m) => [x, m, -1e9],
      gradient: false,
    },
  ],
});
