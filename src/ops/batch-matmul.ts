// Batched matrix product, as torch.matmul on operands of rank 3 and more: [..., M, K] x [..., K, N]
// -> [..., M, N], the batch axes broadcast (a [K, N] weight against a [B, M, K] batch, say), either
// operand read transposed in place. The op itself takes two [Z, ., .] operands of one batch size
// (shaders/batch_matmul.wgsl); the builder broadcasts and flattens the batch axes, so that broadcast's
// own gradient sums a shared operand's gradient over the batch.
import code from '../../shaders/batch_matmul.wgsl';
import { broadcastShapes, fmt, sameShape, ShapeError, sizeOf, type Shape } from '../graph/shape';
import type { Tensor } from '../graph/tensor';
import { broadcastTo } from './broadcast-to';
import type { MatmulOptions } from './matmul';
import { defineOp, type OpDef } from './op';
import { opMethod, type OpMethod } from './op-method';
import { reshape } from './reshape';

export interface BatchMatmulAttrs {
  transposeA: boolean;
  transposeB: boolean;
}

/** [rows, columns] of op(x) for a [Z, r, c] operand. */
const asRead = (shape: Shape, transposed: boolean): [number, number] => (transposed ? [shape[2]!, shape[1]!] : [shape[1]!, shape[2]!]);

/** The largest batch the kernel's third workgroup dimension takes. */
const MAX_BATCH = 65535;

export const batchMatmulOp: OpDef<BatchMatmulAttrs> = defineOp<BatchMatmulAttrs>({
  name: 'batch_matmul',
  infer([a, b], attrs) {
    for (const x of [a!, b!]) {
      if (x.shape.length !== 3 || x.dtype !== 'f32')
        throw new ShapeError(`batch_matmul: expected f32 [batch, rows, columns] operands, got ${x.dtype}${fmt(x.shape)}`);
    }
    if (a!.shape[0] !== b!.shape[0]) throw new ShapeError(`batch_matmul: batch sizes differ, ${fmt(a!.shape)} x ${fmt(b!.shape)}`);
    if (a!.shape[0]! > MAX_BATCH) throw new ShapeError(`batch_matmul: a batch of ${a!.shape[0]} products exceeds the ${MAX_BATCH} one dispatch takes`);
    const [m, k] = asRead(a!.shape, attrs.transposeA);
    const [kb, n] = asRead(b!.shape, attrs.transposeB);
    if (k !== kb) throw new ShapeError(`matmul: inner dimensions differ, ${fmt(a!.shape)} x ${fmt(b!.shape)} (${k} vs ${kb})`);
    return { shape: [a!.shape[0]!, m, n], dtype: 'f32' };
  },
  lower(node, attrs) {
    const [z, m, n] = node.shape as [number, number, number];
    const k = asRead(node.inputs[0]!.shape, attrs.transposeA)[1];
    return [
      {
        code,
        constants: { M: m, N: n, K: k, TRANS_A: attrs.transposeA ? 1 : 0, TRANS_B: attrs.transposeB ? 1 : 0 },
        bindings: [{ input: 0 }, { input: 1 }, { output: true }],
        workgroups: [Math.ceil(n / 32), Math.ceil(m / 32), z],
      },
    ];
  },
  // As matmul's rule (src/ops/matmul.ts), product by product: every transpose is a flag.
  grad({ inputs: [a, b], attrs: { transposeA, transposeB }, dy }) {
    const g = dy.graph;
    const product = (x: Tensor, y: Tensor, ta: boolean, tb: boolean) => g.applyF32(batchMatmulOp, [x, y], { transposeA: ta, transposeB: tb });
    const da = transposeA ? product(b!, dy, transposeB, true) : product(dy, b!, false, !transposeB);
    const db = transposeB ? product(dy, a!, true, transposeA) : product(a!, dy, !transposeA, false);
    return [da, db];
  },
  cpu([a, b], { transposeA, transposeB }, out) {
    const [z, m, n] = out.shape as [number, number, number];
    const k = asRead(a!.shape, transposeA)[1];
    const [ai, ap] = transposeA ? [1, m] : [k, 1];
    const [bp, bj] = transposeB ? [1, k] : [n, 1];
    const data = new Float64Array(z * m * n);
    for (let q = 0; q < z; q++) {
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let acc = 0;
          for (let p = 0; p < k; p++) acc += a!.data[q * m * k + i * ai + p * ap]! * b!.data[q * k * n + p * bp + j * bj]!;
          data[(q * m + i) * n + j] = acc;
        }
      }
    }
    return { shape: out.shape, dtype: 'f32', data };
  },
  flops: (node, attrs) => 2 * node.size * asRead(node.inputs[0]!.shape, attrs.transposeA)[1],
});

/**
 * op(a) · op(b) over broadcast batch axes, as torch.matmul for operands of rank 3 or more (a rank-2
 * operand is one matrix shared by the whole batch); `transposeA`/`transposeB` read the last two axes
 * transposed (torch: a.transpose(-2, -1) @ b without the copy).
 */
export function batchMatmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor<'f32'> {
  if (a.rank < 2 || b.rank < 2) throw new ShapeError(`matmul: batched operands need at least 2 axes, got ${fmt(a.shape)} x ${fmt(b.shape)}`);
  const batch = broadcastShapes('matmul', a.shape.slice(0, -2), b.shape.slice(0, -2));
  const flat = (x: Tensor): Tensor => {
    const matrix = x.shape.slice(-2);
    const full = sameShape(x.shape.slice(0, -2), batch) ? x : broadcastTo(x, [...batch, ...matrix]);
    return reshape(full, [sizeOf(batch), ...matrix]);
  };
  const attrs = { transposeA: options.transposeA ?? false, transposeB: options.transposeB ?? false };
  const c = a.graph.applyF32(batchMatmulOp, [flat(a), flat(b)], attrs);
  return reshape(c, [...batch, ...c.shape.slice(1)]);
}

export const batchMatmulMethod: OpMethod<typeof batchMatmul, { method: string }> = opMethod(batchMatmul, {
  cases: [
    { label: 'one batch axis, odd shapes', operands: [{ shape: [3, 5, 7] }, { shape: [3, 7, 6] }], args: (a, b) => [a, b] },
    {
      label: 'attention scores: [B, H, T, D] by its transpose',
      operands: [{ shape: [2, 2, 5, 4] }, { shape: [2, 2, 5, 4] }],
      args: (q, k) => [q, k, { transposeB: true }],
    },
    { label: 'a transposed', operands: [{ shape: [2, 6, 5] }, { shape: [2, 6, 3] }], args: (a, b) => [a, b, { transposeA: true }] },
    { label: 'a shared matrix broadcast over the batch', operands: [{ shape: [4, 3, 5] }, { shape: [5, 2] }], args: (a, b) => [a, b] },
    { label: 'batch axes broadcast both ways', operands: [{ shape: [2, 1, 3, 4] }, { shape: [1, 3, 4, 2] }], args: (a, b) => [a, b] },
  ],
  eager: { method: 'matmul' },
});
