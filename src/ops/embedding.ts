// embedding, as torch.nn.functional.embedding(indices, weight): rows of a [V, C] table gathered at i32
// indices of any shape, giving [...indices.shape, C]. Its gradient for the table is a scatter-add
// written as a per-row gather (shaders/embedding_grad.wgsl): WGSL has no float atomics, and this way
// the sums are the same on every run. Indices get no gradient.
import forwardCode from '../../shaders/embedding.wgsl';
import gradCode from '../../shaders/embedding_grad.wgsl';
import { fmt, ShapeError, sizeOf } from '../graph/shape';
import type { Tensor } from '../graph/tensor';
import { defineOp, dispatch1d, type OpDef } from './op';
import { opMethod, type OpMethod } from './op-method';

export interface EmbeddingGradAttrs {
  /** Rows of the table. */
  rows: number;
}

/** d(weight) of embedding from (indices, dy). */
export const embeddingGradOp = defineOp<EmbeddingGradAttrs>({
  name: 'embedding_grad',
  infer([indices, dy], { rows }) {
    const width = dy!.shape[dy!.shape.length - 1]!;
    if (sizeOf(indices!.shape) * width !== sizeOf(dy!.shape)) {
      throw new ShapeError(`embedding_grad: gradient ${fmt(dy!.shape)} does not match indices ${fmt(indices!.shape)}`);
    }
    return { shape: [rows, width], dtype: 'f32' };
  },
  lower(node, { rows }) {
    const [indices] = node.inputs;
    const width = node.shape[1]!;
    return [
      {
        code: gradCode,
        constants: { N: sizeOf(indices!.shape), C: width, V: rows },
        bindings: [{ input: 0 }, { input: 1 }, { output: true }],
        workgroups: dispatch1d(rows, 1),
      },
    ];
  },
  cpu([indices, dy], { rows }, out) {
    const width = out.shape[1]!;
    const data = new Float64Array(rows * width);
    indices!.data.forEach((v, p) => {
      if (v < 0 || v >= rows) return;
      for (let c = 0; c < width; c++) data[v * width + c]! += dy!.data[p * width + c]!;
    });
    return { shape: out.shape, dtype: 'f32', data };
  },
  flops: (node) => sizeOf(node.inputs[1]!.shape),
});

export const embeddingOp: OpDef = defineOp({
  name: 'embedding',
  infer([indices, weight]) {
    if (indices!.dtype !== 'i32') throw new ShapeError(`embedding: indices must be i32, got ${indices!.dtype}${fmt(indices!.shape)}`);
    if (weight!.dtype !== 'f32' || weight!.shape.length !== 2) {
      throw new ShapeError(`embedding: the weight must be an f32 table [rows, width], got ${weight!.dtype}${fmt(weight!.shape)}`);
    }
    return { shape: [...indices!.shape, weight!.shape[1]!], dtype: 'f32' };
  },
  lower(node) {
    const [indices, weight] = node.inputs;
    const [rows, width] = weight!.shape as [number, number];
    const n = sizeOf(indices!.shape);
    return [
      {
        code: forwardCode,
        constants: { N: n, C: width, V: rows },
        bindings: [{ input: 0 }, { input: 1 }, { output: true }],
        workgroups: dispatch1d(n * width),
      },
    ];
  },
  grad: ({ inputs: [indices, weight], dy }) => [null, dy.graph.applyF32(embeddingGradOp, [indices!, dy], { rows: weight!.shape[0]! })],
  cpu([indices, weight], _attrs, out) {
    const [rows, width] = weight!.shape as [number, number];
    const data = new Float64Array(sizeOf(out.shape));
    indices!.data.forEach((v, p) => {
      if (v < 0 || v >= rows) return;
      for (let c = 0; c < width; c++) data[p * width + c] = weight!.data[v * width + c]!;
    });
    return { shape: out.shape, dtype: 'f32', data };
  },
  flops: () => 0,
});

/** Rows of `weight` [V, C] at i32 `indices` (any shape): [...indices.shape, C], as F.embedding. */
export function embedding(indices: Tensor, weight: Tensor): Tensor<'f32'> {
  if (indices.kind === 'constant' && indices.value) {
    const rows = weight.shape[0] ?? 0;
    const bad = Array.from(indices.value).findIndex((v) => v < 0 || v >= rows);
    if (bad >= 0) throw new RangeError(`embedding: index ${indices.value[bad]} at position ${bad} is outside the table's ${rows} rows`);
  }
  return indices.graph.applyF32(embeddingOp, [indices, weight], {});
}

export const embeddingMethod: OpMethod<typeof embedding, 'derived-functional'> = opMethod(embedding, {
  cases: [
    {
      label: 'a [B, T] batch of tokens, repeated ones included',
      operands: [{ shape: [2, 5], dtype: 'i32', data: [3, 1, 4, 1, 5, 0, 2, 6, 5, 3] }, { shape: [7, 9] }],
      args: (indices, weight) => [indices, weight],
    },
    { label: 'one row used by every position', operands: [{ shape: [6], dtype: 'i32', data: [2, 2, 2, 2, 2, 2] }, { shape: [4, 3] }], args: (i, w) => [i, w] },
    { label: 'a wide table', operands: [{ shape: [4], dtype: 'i32', lo: 0, hi: 3 }, { shape: [3, 130] }], args: (i, w) => [i, w] },
  ],
  eager: 'derived-functional',
});
