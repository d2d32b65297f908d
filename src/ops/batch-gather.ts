import code from '../../shaders/batch_gather.wgsl';
import { fmt, ShapeError, sizeOf } from '../graph/shape';
import type { Tensor } from '../graph/tensor';
import { defineOp, dispatch1d } from './op';
import { opMethod, type OpMethod } from './op-method';

export interface BatchGatherAttrs {
  batch: number;
  /** Features are read as x * scale + shift (bytes / 255, then a normalisation, say). */
  scale: number;
  shift: number;
}

/**
 * Rows order[cursor .. cursor + batch) of a dataset [N, ...], gathered on the GPU. Inputs: the data
 * (f32, u8 or i32), the epoch's order (i32 [N]) and the cursor (i32 [1], the first row of the batch).
 */
export const batchGatherOp = defineOp<BatchGatherAttrs>({
  name: 'batch_gather',
  infer([data, order, cursor], { batch }) {
    if (data!.shape.length < 1) throw new ShapeError('batch_gather: the dataset must have a leading row axis');
    if (order!.dtype !== 'i32' || order!.shape.length !== 1)
      throw new ShapeError(`batch_gather: the order must be i32 [N], got ${order!.dtype}${fmt(order!.shape)}`);
    if (cursor!.dtype !== 'i32' || sizeOf(cursor!.shape) !== 1) throw new ShapeError('batch_gather: the cursor must be i32 [1]');
    if (!Number.isInteger(batch) || batch < 1 || batch > data!.shape[0]!)
      throw new ShapeError(`batch_gather: batch size ${batch} for a dataset of ${data!.shape[0]} rows`);
    return { shape: [batch, ...data!.shape.slice(1)], dtype: data!.dtype === 'i32' ? 'i32' : 'f32' };
  },
  lower(node, { batch, scale, shift }) {
    const data = node.inputs[0]!;
    const row = sizeOf(data.shape.slice(1));
    const entryPoint = data.dtype === 'u8' ? 'bytes_to_f32' : data.dtype === 'f32' ? 'f32_to_f32' : 'copy_i32';
    const constants: Record<string, number> = { BATCH: batch, ROW: row, ROWS: data.shape[0]! };
    if (data.dtype !== 'i32') Object.assign(constants, { SCALE: scale, SHIFT: shift });
    return [{ code, entryPoint, constants, bindings: [{ input: 0 }, { input: 1 }, { input: 2 }, { output: true }], workgroups: dispatch1d(batch * row) }];
  },
  cpu([data, order, cursor], { batch, scale, shift }, out) {
    const row = sizeOf(data!.shape.slice(1));
    const result = new Float64Array(batch * row);
    const start = cursor!.data[0]!;
    for (let r = 0; r < batch; r++) {
      const src = order!.data[start + r]!;
      for (let c = 0; c < row; c++) {
        const v = data!.data[src * row + c]!;
        result[r * row + c] = data!.dtype === 'i32' ? v : v * scale + shift;
      }
    }
    return { shape: out.shape, dtype: out.dtype, data: result };
  },
});

export function batchGather(data: Tensor, order: Tensor, cursor: Tensor, batch: number, scale = 1, shift = 0): Tensor {
  return data.graph.apply(batchGatherOp, [data, order, cursor], { batch, scale, shift });
}

const ORDER = [3, 7, 0, 9, 1, 4, 8, 2, 6, 5];

export const batchGatherMethod: OpMethod<typeof batchGather> = opMethod(batchGather, {
  cases: [
    {
      label: 'f32 rows, scaled and shifted',
      operands: [{ shape: [10, 3] }, { shape: [10], dtype: 'i32', data: ORDER }, { shape: [1], dtype: 'i32', data: [4] }],
      args: (data, order, cursor) => [data, order, cursor, 5, 2, 1],
      gradient: false,
    },
    {
      label: 'i32 rows (labels), copied',
      operands: [
        { shape: [10], dtype: 'i32', lo: 0, hi: 10 },
        { shape: [10], dtype: 'i32', data: ORDER },
        { shape: [1], dtype: 'i32', data: [2] },
      ],
      args: (data, order, cursor) => [data, order, cursor, 8],
      gradient: false,
    },
  ],
  eager: { graphOnly: "the trainer's batches, drawn on the GPU from a dataset uploaded once" },
});
