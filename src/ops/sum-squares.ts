// sum_squares: the sum of squares of each of several tensors, out[i] = Σ x_i², in few dispatches:
// gradient clipping's global norm (src/train/grad-clip.ts) is sqrt(sum(sum_squares(grads))), which
// would otherwise be a square and a reduction per gradient. Each dispatch binds a chunk of up to
// CHUNK inputs (WebGPU guarantees 8 storage buffers per stage: the chunk and the output) and gives
// each input one workgroup; the kernel is shaders/sum_squares.wgsl with the chunk's bindings filled in.
// Where the tensors sit side by side in one buffer (the gradients a flat optimizer update pins), the
// fusion pass src/graph/fusion/span-sum-squares.ts makes sum_squares_span instead: one dispatch
// over one binding, however many tensors.
import template from '../../shaders/sum_squares.wgsl';
import { fmt, sizeOf, ShapeError } from '../graph/shape';
import type { PackLayout } from '../graph/variable-pack';
import type { Tensor } from '../graph/tensor';
import { defineOp, type KernelCall } from './op';
import { opMethod, type OpMethod } from './op-method';
import { mul } from './mul';
import { reshape } from './reshape';
import { slice } from './slice';

/** Inputs per dispatch: the minimum maxStorageBuffersPerShaderStage (8) less the output. */
export const SUM_SQUARES_CHUNK = 7;

/** shaders/sum_squares.wgsl with its bindings, the output's binding number and the per-workgroup sum filled in. */
const shader = (inputs: string, out: number, sum: string): string =>
  template.replace('{{INPUTS}}', inputs).replace('{{OUT}}', String(out)).replace('{{SUM}}', sum);

/** The kernel for a chunk of `lengths.length` inputs of these element counts. */
function chunkCall(first: number, lengths: readonly number[]): KernelCall {
  const k = lengths.length;
  const inputs = lengths.map((_, j) => `@group(0) @binding(${j}) var<storage, read> x${j}: array<f32>;\noverride N${j}: u32;`).join('\n');
  const cases = lengths.map((_, j) => `    case ${j}u: { for (var i = lid; i < N${j}; i += WG) { let v = x${j}[i]; acc += v * v; } }`);
  const code = shader(inputs, k, ['  switch wg.x {', ...cases, '    default: {}', '  }'].join('\n'));
  const constants: Record<string, number> = { BASE: first };
  lengths.forEach((n, j) => (constants[`N${j}`] = n));
  return {
    label: 'sum_squares',
    code,
    constants,
    bindings: [...lengths.map((_, j) => ({ input: first + j })), { output: true }],
    workgroups: [k, 1, 1],
  };
}

export const sumSquaresOp = defineOp({
  name: 'sum_squares',
  infer(inputs) {
    if (inputs.length === 0) throw new ShapeError('sum_squares: expected at least one tensor');
    inputs.forEach((x, i) => {
      if (x.dtype !== 'f32') throw new ShapeError(`sum_squares: tensor ${i} is ${x.dtype}; only f32 tensors have sums of squares`);
    });
    return { shape: [inputs.length], dtype: 'f32' };
  },
  lower(node) {
    const lengths = node.inputs.map((x) => x.size);
    const calls: KernelCall[] = [];
    for (let first = 0; first < lengths.length; first += SUM_SQUARES_CHUNK) calls.push(chunkCall(first, lengths.slice(first, first + SUM_SQUARES_CHUNK)));
    return calls;
  },
  // d(Σ x²)/dx = 2x, times each output's own gradient (as a rank-0 tensor, which broadcasts to any shape).
  grad: ({ inputs, dy }) => inputs.map((x, i) => mul(x, mul(reshape(slice(dy, [i], [1]), []), 2))),
  cpu(inputs, _attrs, out) {
    const data = Float64Array.from(inputs, (x) => x.data.reduce((s, v) => s + v * v, 0));
    return { shape: out.shape, dtype: 'f32', data };
  },
  flops: (node) => 2 * node.inputs.reduce((n, x) => n + sizeOf(x.shape), 0),
});

export interface SumSquaresSpanAttrs {
  /** Output i is the sum of squares of input order[i]. */
  order: number[];
  /** Byte offsets of the inputs in their shared buffer (from the first one's start). */
  layout: PackLayout;
}

/** Tensors per span dispatch: one workgroup each, and their offsets fill a 64 KiB uniform at 4096. */
export const SUM_SQUARES_SPAN_MAX = 4096;

/** sum_squares over inputs that one span binding covers (src/graph/fusion/span-sum-squares.ts makes it). */
export const sumSquaresSpanOp = defineOp<SumSquaresSpanAttrs>({
  name: 'sum_squares_span',
  madeBy: 'the span-sum-squares fusion pass (test/fusion-flat-adam.test.ts)',
  infer(inputs, { order, layout }) {
    if (layout.offsets.length !== inputs.length) throw new ShapeError(`sum_squares_span: ${inputs.length} inputs but ${layout.offsets.length} offsets`);
    if (order.length > SUM_SQUARES_SPAN_MAX || order.some((i) => !(i >= 0 && i < inputs.length)))
      throw new ShapeError(`sum_squares_span: order ${fmt(order)} does not index ${inputs.length} inputs (at most ${SUM_SQUARES_SPAN_MAX})`);
    return sumSquaresOp.infer(
      order.map((i) => inputs[i]!),
      {},
    );
  },
  lower(node, { order, layout }) {
    const members = new Uint32Array(4 * order.length);
    order.forEach((m, w) => members.set([layout.offsets[m]! / 4, node.inputs[m]!.size], 4 * w));
    const inputs = `@group(0) @binding(0) var<storage, read> xs: array<f32>;\n@group(0) @binding(2) var<uniform> members: array<vec4<u32>, ${order.length}>; // offset, length`;
    const sum = '  let member = members[wg.x];\n  for (var i = lid; i < member.y; i += WG) { let v = xs[member.x + i]; acc += v * v; }';
    return [
      {
        label: 'sum_squares_span',
        code: shader(inputs, 1, sum),
        constants: { BASE: 0 },
        bindings: [{ span: node.inputs.map((_, i) => i) }, { output: true }, { uniform: members }],
        workgroups: [order.length, 1, 1],
      },
    ];
  },
  cpu(inputs, { order }, out) {
    return sumSquaresOp.cpu(
      order.map((i) => inputs[i]!),
      {},
      out,
    );
  },
});

/** The sum of squares of each tensor, as one [n] tensor. */
export function sumSquares(tensors: readonly Tensor[]): Tensor<'f32'> {
  const [first] = tensors;
  if (!first) throw new ShapeError('sum_squares: expected at least one tensor');
  return first.graph.applyF32(sumSquaresOp, tensors, {});
}

export const sumSquaresMethod: OpMethod<typeof sumSquares, { graphOnly: string }> = opMethod(sumSquares, {
  cases: [
    { label: 'one tensor longer than a workgroup', operands: [{ shape: [3, 300] }], args: (a) => [[a]], tolerance: 1e-5 },
    {
      label: 'nine tensors (two dispatches), size-1 and rank-0 among them',
      operands: [[5], [1], [], [2, 3], [257], [4, 4], [7], [1, 1], [3]].map((shape) => ({ shape })),
      args: (...xs) => [xs],
    },
  ],
  eager: { graphOnly: 'a building block of clip_grad_norm (torch.nn.utils.clip_grad_norm_), which works on a list of gradients' },
});
