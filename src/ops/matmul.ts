// Matrix product of two 2-D tensors, either operand read transposed in place (PyTorch's a.T @ b
// without the copy): shape inference, the register-blocked kernel of shaders/matmul.wgsl, the
// gradient rule written with matmul itself, and the float64 reference. The fusion pass may give it an
// epilogue: a bias [N] (or [1,N]) added to every row as a third input, then `relu`.
//
// Operands are f32, or f16 (either or both) under mixed precision: the products of a graph built
// with `graph.autocast('f16', ...)` read f16 casts of their f32 operands (weights stay f32 masters;
// the activations saved for the backward pass are f16), accumulate in f32 and write f32. Their
// gradients are f32 products of an f32 gradient and the saved f16 operand, so no gradient is ever
// rounded to f16. f16 operands run the generated GEMM forms (src/ops/gemm/), which read any element type.
import source from '../../shaders/matmul.wgsl';
import { fmt, ShapeError, type Shape } from '../graph/shape';
import type { Tensor } from '../graph/tensor';
import { gemmCode, gemmVariants } from './gemm-dispatch';
import type { OperandElement } from './gemm/operands';
import { matmulF16Variants, matmulHardwareVariants } from './gemm/variants';
import { cast } from './cast';
import { defineOp, tunableCall, type KernelCall, type TensorMeta } from './op';
import { opMethod, type OpMethod } from './op-method';

const code = gemmCode(source);

export interface MatmulOptions {
  /** Use the transpose of `a`: a is stored [K,M]. */
  transposeA?: boolean;
  /** Use the transpose of `b`: b is stored [N,K]. */
  transposeB?: boolean;
}

export interface MatmulAttrs {
  transposeA: boolean;
  transposeB: boolean;
  /** max(., 0) after the product (and the bias), in the kernel's epilogue: set by the fusion pass. */
  relu?: boolean;
}

/** Rows and columns of C computed by one invocation: must match TM and TN of the shader. */
const TILE_ROWS = 16;
const TILE_COLS = 8;

/** [rows, columns] of op(x): the operand as the product reads it. */
const asRead = (shape: Shape, transposed: boolean): [number, number] => (transposed ? [shape[1]!, shape[0]!] : [shape[0]!, shape[1]!]);

const transposition = ({ transposeA, transposeB }: MatmulAttrs): string => {
  const set = [transposeA ? 'transposeA' : '', transposeB ? 'transposeB' : ''].filter(Boolean);
  return set.length ? ` with ${set.join(' and ')}` : '';
};

export const matmulOp = defineOp<MatmulAttrs>({
  name: 'matmul',
  f16Inputs: true,
  infer(inputs, attrs) {
    const [a, b, bias] = inputs;
    if (!a || !b || inputs.length > 3) throw new ShapeError(`matmul: expected 2 operands and an optional bias, got ${inputs.length} inputs`);
    for (const x of [a, b]) {
      if (x.shape.length !== 2) throw new ShapeError(`matmul: expected 2-D operands, got ${fmt(x.shape)}`);
      if (x.dtype !== 'f32' && x.dtype !== 'f16') throw new ShapeError(`matmul: operands must be f32 or f16, got ${x.dtype}${fmt(x.shape)}`);
    }
    const [m, k] = asRead(a.shape, attrs.transposeA);
    const [kb, n] = asRead(b.shape, attrs.transposeB);
    if (k !== kb) {
      throw new ShapeError(`matmul: inner dimensions differ, ${fmt(a.shape)} x ${fmt(b.shape)}${transposition(attrs)} (${k} vs ${kb})`);
    }
    if (bias && !isRowBias(bias, n))
      throw new ShapeError(`matmul: bias must be f32 [${n}] or [1,${n}] (one per output column), got ${bias.dtype}${fmt(bias.shape)}`);
    return { shape: [m, n], dtype: 'f32' };
  },
  lower(node, attrs): KernelCall[] {
    const [m, n] = [node.shape[0]!, node.shape[1]!];
    const k = asRead(node.inputs[0]!.shape, attrs.transposeA)[1];
    const hasBias = node.inputs.length === 3;
    const elements = { a: operandElement(node.inputs[0]!), b: operandElement(node.inputs[1]!) };
    const f16 = elements.a === 'f16' || elements.b === 'f16';
    // Quads read A's rows four k at a time: A untransposed, each row starting at a multiple of K.
    const variants = f16
      ? matmulF16Variants(attrs, m, n, elements)
      : [
          ...gemmVariants(code, Math.ceil(m / TILE_ROWS) * Math.ceil(n / TILE_COLS), { quads: !attrs.transposeA && k % 4 === 0 }),
          // Workgroup-memory tiles and K splits, for hardware GPUs (src/ops/gemm/forms.ts).
          ...matmulHardwareVariants(attrs, m, n),
        ];
    return [
      tunableCall(
        {
          label: [
            'matmul',
            f16 ? `f16${elements.a === 'f16' ? 'a' : ''}${elements.b === 'f16' ? 'b' : ''}` : '',
            hasBias ? 'bias' : '',
            attrs.relu ? 'relu' : '',
          ]
            .filter(Boolean)
            .join('+'),
          constants: {
            M: m,
            N: n,
            K: k,
            TRANS_A: attrs.transposeA ? 1 : 0,
            TRANS_B: attrs.transposeB ? 1 : 0,
            HAS_BIAS: hasBias ? 1 : 0,
            RELU: attrs.relu ? 1 : 0,
          },
          // Without a bias, b is bound again at the bias slot (read-only both times) and never read.
          bindings: [{ input: 0 }, { input: 1 }, { output: true }, { input: hasBias ? 2 : 1 }],
        },
        variants,
      ),
    ];
  },
  // With A' = op(A), B' = op(B) and C = A'B': dA' = dC B'ᵀ and dB' = A'ᵀ dC. A transposed operand
  // gets the transpose of that, (X Y)ᵀ = Yᵀ Xᵀ, and every transpose is a flag of the product.
  grad({ inputs: [a, b, bias], attrs: { transposeA, transposeB, relu }, dy }) {
    // Fusion runs after autodiff, so a matmul with an epilogue is never differentiated.
    if (bias || relu) throw new Error('matmul: no gradient rule with a fused bias or relu epilogue (the fusion pass adds them after autodiff)');
    const da = transposeA
      ? matmul(b!, dy, { transposeA: transposeB, transposeB: true }) // dA = (dC B'ᵀ)ᵀ = B' dCᵀ
      : matmul(dy, b!, { transposeB: !transposeB }); // dA = dC B'ᵀ
    const db = transposeB
      ? matmul(dy, a!, { transposeA: true, transposeB: transposeA }) // dB = (A'ᵀ dC)ᵀ = dCᵀ A'
      : matmul(a!, dy, { transposeA: !transposeA }); // dB = A'ᵀ dC
    return [da, db];
  },
  cpu([a, b, bias], { transposeA, transposeB, relu }, out) {
    const [m, n] = [out.shape[0]!, out.shape[1]!];
    const k = asRead(a!.shape, transposeA)[1];
    // Element strides of op(A)[i, p] and op(B)[p, j] in the stored row-major data.
    const [ai, ap] = transposeA ? [1, m] : [k, 1];
    const [bp, bj] = transposeB ? [1, k] : [n, 1];
    const data = new Float64Array(m * n);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let p = 0; p < k; p++) acc += a!.data[i * ai + p * ap]! * b!.data[p * bp + j * bj]!;
        if (bias) acc += bias.data[j]!;
        data[i * n + j] = relu ? Math.max(acc, 0) : acc;
      }
    }
    return { shape: out.shape, dtype: 'f32', data };
  },
  /** Two FLOPs (a multiply and an add) per term of each output's inner product. */
  flops(node, attrs) {
    return 2 * node.size * asRead(node.inputs[0]!.shape, attrs.transposeA)[1];
  },
});

/** True when `t` can be matmul's bias for `n` output columns: f32 [n] or [1,n]. */
export function isRowBias(t: TensorMeta, n: number): boolean {
  const [first, second] = t.shape;
  const columns = t.shape.length === 1 ? first : t.shape.length === 2 && first === 1 ? second : undefined;
  return t.dtype === 'f32' && columns === n;
}

const operandElement = (x: TensorMeta): OperandElement => (x.dtype === 'f16' ? 'f16' : 'f32');

/**
 * op(a) · op(b) for 2-D tensors, op transposing where asked (torch: a.T @ b and so on), as f32. In a
 * graph under `autocast('f16')`, f32 operands are cast to f16 first (torch.autocast's matmul).
 */
export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor<'f32'> {
  // Only f32 operands are cast, so that an operand of another dtype meets matmul's own check.
  const half = (t: Tensor) => (a.graph.autocastDtype === 'f16' && t.dtype === 'f32' ? cast(t, 'f16') : t);
  const [x, y] = [half(a), half(b)];
  return a.graph.applyF32(matmulOp, [x, y], { transposeA: options.transposeA ?? false, transposeB: options.transposeB ?? false });
}

export const matmulMethod: OpMethod<typeof matmul> = opMethod(matmul, {
  cases: [
    { label: 'odd shapes', operands: [{ shape: [17, 33] }, { shape: [33, 9] }], args: (a, b) => [a, b] },
    { label: 'a transposed', operands: [{ shape: [7, 5] }, { shape: [7, 3] }], args: (a, b) => [a, b, { transposeA: true }] },
    { label: 'b transposed', operands: [{ shape: [5, 8] }, { shape: [3, 8] }], args: (a, b) => [a, b, { transposeB: true }] },
    { label: 'both transposed', operands: [{ shape: [8, 5] }, { shape: [3, 8] }], args: (a, b) => [a, b, { transposeA: true, transposeB: true }] },
    // The reference rounds the operands as the casts do; the product itself is then exact to f32 sums.
    {
      label: 'f16 operands (odd K), b transposed',
      operands: [{ shape: [9, 13] }, { shape: [6, 13] }],
      args: (a, b) => [cast(a, 'f16'), cast(b, 'f16'), { transposeB: true }],
      gradient: false,
      tolerance: 1e-4,
    },
  ],
  eager: { method: 'matmul' },
});
