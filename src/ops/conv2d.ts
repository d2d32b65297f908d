// 2-D convolution (cross-correlation, as torch.nn.functional.conv2d) of NCHW f32 tensors, with
// stride, padding, dilation and an optional bias: shape inference, the implicit-GEMM kernel of
// shaders/conv2d.wgsl, the gradient rule (two implicit-GEMM ops of their own, and a sum for the
// bias) and the float64 reference. The fusion pass may set `relu` (a relu epilogue after the bias).
import convGather from '../../shaders/conv_gather.wgsl';
import convGeometry from '../../shaders/conv_geometry.wgsl';
import source from '../../shaders/conv2d.wgsl';
import { fmt, ShapeError } from '../graph/shape';
import type { Tensor } from '../graph/tensor';
import { check4d, convAttrs, forEachTap, geometry, geometryConstants, hasPadding, type Conv2dAttrs, type Conv2dOptions } from './conv2d-geometry';
import { conv2dInputGrad } from './conv2d-input-grad';
import { conv2dWeightGrad } from './conv2d-weight-grad';
import { gemmCode, gemmVariants } from './gemm-dispatch';
import { registerTileStores } from './gemm/register-tile';
import { convForwardHardwareVariants } from './gemm/variants';
import { defineOp, tunableCall } from './op';
import { sum } from './sum';
import { opMethod, type OpMethod } from './op-method';

const code = gemmCode(convGeometry, registerTileStores(), convGather, source);

export interface Conv2dForwardAttrs extends Conv2dAttrs {
  /** max(., 0) after the bias, in the kernel's epilogue: set by the fusion pass for relu(conv2d). */
  relu?: boolean;
}

export const conv2dOp = defineOp<Conv2dForwardAttrs>({
  name: 'conv2d',
  infer([x, w, b], attrs) {
    check4d('conv2d', 'input', x!.shape);
    check4d('conv2d', 'weight', w!.shape);
    for (const [what, t] of [
      ['input', x!],
      ['weight', w!],
      ['bias', b],
    ] as const) {
      if (t && t.dtype !== 'f32') throw new ShapeError(`conv2d: ${what} must be f32, got ${t.dtype}`);
    }
    if (x!.shape[1] !== w!.shape[1]) throw new ShapeError(`conv2d: input has ${x!.shape[1]} channels, weight expects ${w!.shape[1]}`);
    if (b && (b.shape.length !== 1 || b.shape[0] !== w!.shape[0]))
      throw new ShapeError(`conv2d: bias has shape ${fmt(b.shape)}, expected [${w!.shape[0]}] (one per output channel)`);
    const g = geometry(x!.shape, w!.shape, attrs);
    return { shape: [g.B, g.CO, g.OH, g.OW], dtype: 'f32' };
  },
  lower(node, attrs) {
    const [x, w, b] = node.inputs;
    const g = geometry(x!.shape, w!.shape, attrs);
    const tiles = Math.ceil(g.CO / 16) * Math.ceil((g.B * g.OH * g.OW) / 8);
    return [
      tunableCall(
        {
          label: attrs.relu ? 'conv2d+relu' : 'conv2d',
          constants: { ...geometryConstants(g), PADDED: hasPadding(attrs) ? 1 : 0, HAS_BIAS: b ? 1 : 0, RELU: attrs.relu ? 1 : 0 },
          bindings: [{ input: 0 }, { input: 1 }, { input: b ? 2 : 1 }, { output: true }],
        },
        // Quads read the weight's rows four k at a time: each row starts at a multiple of C*KH*KW.
        // They lead: at MNIST's conv2, SwiftShader 380 -> 334 ms with subgroups, llvmpipe 69 -> 56 ms.
        [
          ...gemmVariants(code, tiles, { quads: (g.C * g.KH * g.KW) % 4 === 0, quadsFirst: true }),
          // Workgroup-memory tiles, for hardware GPUs (src/ops/gemm/forms.ts).
          ...convForwardHardwareVariants(g.CO, g.B * g.OH * g.OW),
        ],
      ),
    ];
  },
  grad({ inputs: [x, w, b], attrs, dy }) {
    // Fusion runs after autodiff, so a conv2d with a relu epilogue is never differentiated.
    if (attrs.relu) throw new Error('conv2d: no gradient rule with the fused relu epilogue (the fusion pass sets it after autodiff)');
    const dx = conv2dInputGrad(dy, w!, attrs, [x!.shape[2]!, x!.shape[3]!]);
    const dw = conv2dWeightGrad(x!, dy, attrs, [w!.shape[2]!, w!.shape[3]!]);
    return b ? [dx, dw, sum(dy, [0, 2, 3])] : [dx, dw];
  },
  cpu([x, w, b], attrs, out) {
    const g = geometry(x!.shape, w!.shape, attrs);
    const data = new Float64Array(g.B * g.CO * g.OH * g.OW);
    const ohw = g.OH * g.OW;
    forEachTap(g, (n, oh, ow, kh, kw, ih, iw) => {
      for (let co = 0; co < g.CO; co++) {
        let acc = 0;
        for (let ci = 0; ci < g.C; ci++) acc += w!.data[((co * g.C + ci) * g.KH + kh) * g.KW + kw]! * x!.data[((n * g.C + ci) * g.H + ih) * g.W + iw]!;
        data[(n * g.CO + co) * ohw + oh * g.OW + ow] += acc;
      }
    });
    if (b) for (let i = 0; i < data.length; i++) data[i] += b.data[Math.floor(i / ohw) % g.CO]!;
    if (attrs.relu) for (let i = 0; i < data.length; i++) data[i] = Math.max(data[i]!, 0);
    return { shape: out.shape, dtype: 'f32', data };
  },
  /** The implicit GEMM: two FLOPs per (output pixel, output channel, input channel, tap). */
  flops(node, attrs) {
    const g = geometry(node.inputs[0]!.shape, node.inputs[1]!.shape, attrs);
    return 2 * g.B * g.OH * g.OW * g.CO * g.C * g.KH * g.KW;
  },
});

/** torch.nn.functional.conv2d(x, weight, bias, stride, padding, dilation) for x [N,C,H,W], weight [CO,C,KH,KW]. */
export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, options: Conv2dOptions = {}): Tensor<'f32'> {
  return x.graph.applyF32(conv2dOp, bias ? [x, weight, bias] : [x, weight], convAttrs('conv2d', options));
}

export const conv2dMethod: OpMethod<typeof conv2d> = opMethod(conv2d, {
  cases: [
    { label: '3x3 with a bias', operands: [{ shape: [2, 3, 7, 6] }, { shape: [5, 3, 3, 3] }, { shape: [5] }], args: (x, w, b) => [x, w, b] },
    {
      label: 'stride 2, padding 1, no bias',
      operands: [{ shape: [2, 2, 7, 8] }, { shape: [3, 2, 3, 3] }],
      args: (x, w) => [x, w, null, { stride: 2, padding: 1 }],
    },
    {
      label: 'dilation 2, a 2x3 kernel',
      operands: [{ shape: [1, 2, 8, 9] }, { shape: [4, 2, 2, 3] }, { shape: [4] }],
      args: (x, w, b) => [x, w, b, { dilation: 2 }],
    },
  ],
  eager: { functional: 'conv2d' },
});
