// The gradient of conv2d with respect to its input, an op of its own (shaders/conv2d_input_grad.wgsl):
// dx[n, ci, ih, iw] = sum of weight[co, ci, kh, kw] * dy[n, co, oh, ow] over the taps that read
// (ih, iw). Only conv2d's gradient rule creates it, through conv2dInputGrad(), which hands the op the
// weight permuted channel-last, [C, KH, KW, CO] (see the shader for why).
import convGeometry from '../../shaders/conv_geometry.wgsl';
import source from '../../shaders/conv2d_input_grad.wgsl';
import { fmt, ShapeError } from '../graph/shape';
import type { Tensor } from '../graph/tensor';
import { forEachTap, geometry, geometryConstants, outputSize, type Conv2dAttrs, type Pair } from './conv2d-geometry';
import { gemmCode, gemmVariants } from './gemm-dispatch';
import { registerTileStores } from './gemm/register-tile';
import { inputGradHardwareVariants } from './gemm/variants';
import { defineOp, tunableCall } from './op';
import { permute } from './permute';

const code = gemmCode(convGeometry, registerTileStores(), source);

export interface Conv2dInputGradAttrs extends Conv2dAttrs {
  /** Height and width of the forward input (several sizes map to one output size when strided). */
  inputSize: Pair;
}

const inputShape = (dy: readonly number[], wt: readonly number[], size: Pair) => [dy[0]!, wt[0]!, size[0], size[1]];
/** [CO, C, KH, KW] of the channel-last weight [C, KH, KW, CO] the op takes. */
const weightShape = (wt: readonly number[]) => [wt[3]!, wt[0]!, wt[1]!, wt[2]!];
/** The channel-last weight's axes, from conv2d's [CO, C, KH, KW]. */
const CHANNEL_LAST = [1, 2, 3, 0];

export const conv2dInputGradOp = defineOp<Conv2dInputGradAttrs>({
  name: 'conv2d_input_grad',
  infer([dy, wt], attrs) {
    if (wt!.shape.length !== 4) throw new ShapeError(`conv2d_input_grad: weight must be [C,KH,KW,CO], got ${fmt(wt!.shape)}`);
    const w = weightShape(wt!.shape);
    const out = inputShape(dy!.shape, wt!.shape, attrs.inputSize);
    const [oh, ow] = outputSize('conv2d_input_grad', attrs.inputSize, [w[2]!, w[3]!], attrs);
    if (dy!.shape.length !== 4 || dy!.shape[1] !== w[0] || dy!.shape[2] !== oh || dy!.shape[3] !== ow) {
      throw new ShapeError(`conv2d_input_grad: dy has shape ${fmt(dy!.shape)}, expected [${dy!.shape[0]},${w[0]},${oh},${ow}]`);
    }
    return { shape: out, dtype: 'f32' };
  },
  lower(node, attrs) {
    const [dy, wt] = node.inputs;
    const g = geometry(inputShape(dy!.shape, wt!.shape, attrs.inputSize), weightShape(wt!.shape), attrs);
    // Quads read 4 output channels of a row at once: CO % 4 == 0 keeps every row and block aligned.
    const variants = [
      ...gemmVariants(code, Math.ceil(g.C / 16) * Math.ceil((g.B * g.H * g.W) / 8), { quads: g.CO % 4 === 0 }),
      // Workgroup-memory tiles, for hardware GPUs (src/ops/gemm/forms.ts).
      ...inputGradHardwareVariants(g.C, g.B * g.H * g.W),
    ];
    return [tunableCall({ label: 'conv2d_input_grad', constants: geometryConstants(g), bindings: [{ input: 0 }, { input: 1 }, { output: true }] }, variants)];
  },
  cpu([dy, wt], attrs, out) {
    const g = geometry(out.shape, weightShape(wt!.shape), attrs);
    const data = new Float64Array(g.B * g.C * g.H * g.W);
    forEachTap(g, (n, oh, ow, kh, kw, ih, iw) => {
      for (let ci = 0; ci < g.C; ci++) {
        let acc = 0;
        for (let co = 0; co < g.CO; co++) acc += wt!.data[((ci * g.KH + kh) * g.KW + kw) * g.CO + co]! * dy!.data[((n * g.CO + co) * g.OH + oh) * g.OW + ow]!;
        data[((n * g.C + ci) * g.H + ih) * g.W + iw] += acc;
      }
    });
    return { shape: out.shape, dtype: 'f32', data };
  },
  /** The same GEMM as the forward conv, transposed: two FLOPs per (output pixel, CO, C, tap). */
  flops(node, attrs) {
    const g = geometry(node.shape, weightShape(node.inputs[1]!.shape), attrs);
    return 2 * g.B * g.OH * g.OW * g.CO * g.C * g.KH * g.KW;
  },
});

/** dx of conv2d for its gradient dy and its weight [CO, C, KH, KW] (permuted channel-last here). */
export function conv2dInputGrad(dy: Tensor, weight: Tensor, attrs: Conv2dAttrs, inputSize: Pair): Tensor {
  return dy.graph.apply(conv2dInputGradOp, [dy, permute(weight, CHANNEL_LAST)], { ...attrs, inputSize });
}
