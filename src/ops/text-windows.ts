// text_windows(tokens [N] i32, step [1] i32) -> [B, T] i32: a language model's batch, drawn on the GPU
// from a token stream uploaded once (no per-step upload). The starts are a pure function of (key,
// step, b), so the inputs (offset 0) and their next-token targets (offset 1) are two calls with the
// same key and step, and the CPU reference draws the same windows.
import philox from '../../shaders/philox.wgsl';
import source from '../../shaders/text_windows.wgsl';
import { fmt, ShapeError } from '../graph/shape';
import type { Tensor } from '../graph/tensor';
import { philox4x32 } from '../random/philox';
import { defineOp, dispatch1d } from './op';
import { opMethod, type OpMethod } from './op-method';

const code = `${philox}\n${source}`;

export interface TextWindowsAttrs {
  batch: number;
  block: number;
  /** 0: the inputs; 1: the targets (each token's successor). */
  offset: 0 | 1;
  key0: number;
  key1: number;
}

/** Where window b of step `step` starts in a stream of n tokens. */
export function windowStart(attrs: TextWindowsAttrs, n: number, step: number, b: number): number {
  const block = new Uint32Array(4);
  philox4x32([Math.floor(b / 4), step >>> 0, 1, 0], [attrs.key0 >>> 0, attrs.key1 >>> 0], block);
  return block[b % 4]! % (n - attrs.block);
}

export const textWindowsOp = defineOp<TextWindowsAttrs>({
  name: 'text_windows',
  infer([tokens, step], { batch, block }) {
    if (tokens!.dtype !== 'i32' || tokens!.shape.length !== 1)
      throw new ShapeError(`text_windows: tokens must be i32 [N], got ${tokens!.dtype}${fmt(tokens!.shape)}`);
    if (step!.dtype !== 'i32' || step!.shape.length !== 1 || step!.shape[0] !== 1) throw new ShapeError('text_windows: the step must be i32 [1]');
    if (!(tokens!.shape[0]! > block + 1))
      throw new ShapeError(`text_windows: ${tokens!.shape[0]} tokens are too few for windows of ${block} and their targets`);
    return { shape: [batch, block], dtype: 'i32' };
  },
  lower(node, a) {
    const n = node.inputs[0]!.shape[0]!;
    return [
      {
        code,
        constants: { N: n, B: a.batch, T: a.block, OFFSET: a.offset, KEY0: a.key0 >>> 0, KEY1: a.key1 >>> 0 },
        bindings: [{ input: 0 }, { input: 1 }, { output: true }],
        workgroups: dispatch1d(a.batch * a.block),
      },
    ];
  },
  cpu([tokens, step], a, out) {
    const n = tokens!.data.length;
    const data = new Float64Array(a.batch * a.block);
    for (let b = 0; b < a.batch; b++) {
      const start = windowStart(a, n, step!.data[0]!, b);
      for (let t = 0; t < a.block; t++) data[b * a.block + t] = tokens!.data[start + t + a.offset]!;
    }
    return { shape: out.shape, dtype: 'i32', data };
  },
  flops: () => 0,
});

/** B windows of T tokens (offset 0) or their targets (offset 1), drawn for the step counter `step`. */
export function textWindows(tokens: Tensor, step: Tensor, batch: number, block: number, offset: 0 | 1, key: readonly [number, number]): Tensor<'i32'> {
  for (const [what, n] of [
    ['batch', batch],
    ['block', block],
  ] as const) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`text_windows: ${what} must be a positive integer, got ${n}`);
  }
  return tokens.graph.apply(textWindowsOp, [tokens, step], { batch, block, offset, key0: key[0], key1: key[1] }) as Tensor<'i32'>;
}

export const textWindowsMethod: OpMethod<typeof textWindows, { graphOnly: string }> = opMethod(textWindows, {
  cases: [
    {
      label: 'inputs: 5 windows of 4 from 40 tokens',
      operands: [
        { shape: [40], dtype: 'i32', lo: 0, hi: 65 },
        { shape: [1], dtype: 'i32', data: [3] },
      ],
      args: (tokens, step) => [tokens, step, 5, 4, 0, [0x1234, 0x5678]],
      gradient: false,
    },
    {
      label: 'targets of the same windows',
      operands: [
        { shape: [40], dtype: 'i32', lo: 0, hi: 65 },
        { shape: [1], dtype: 'i32', data: [3] },
      ],
      args: (tokens, step) => [tokens, step, 5, 4, 1, [0x1234, 0x5678]],
      gradient: false,
    },
  ],
  eager: { graphOnly: "a language model trainer's batches, drawn on the GPU from a token stream uploaded once" },
});
