// The gradient of conv2d with respect to its input, an op of its own (shaders/conv2d_input_grad.wgsl):
// dx[n, ci, ih, iw] = sum of weight[co, ci, kh, kw] * dy[n, co, oh, ow] over the taps that read
// (ih, iw). Only conv2d's gradient rule creates it.
import convGeometry from '../../shaders/conv_geometry.wgsl';
import gemmTile from '../../shaders/gemm_tile.wgsl';
import source from '../../shaders/conv2d_input_grad.wgsl';
import { fmt, ShapeError } from '../graph/shape';
import type { Tensor } from '../graph/tensor';
import { forEachTap, geometry, geometryConstants, outputSize, type Conv2dAttrs, type Pair } from './conv2d-geometry';
import { gemmCode, gemmVariants, tunableCall } from './gemm-dispatch';
import { defineOp } from './op';

const code = gemmCode(convGeometry, gemmTile, source);

export interface Conv2dInputGradAttrs extends Conv2dAttrs {
  /** Height and width of the forward input (several sizes map to one output size when strided). */
  inputSize: Pair;
}

const inputShape = (dy: readonly number[], w: readonly number[], size: Pair) => [dy[0]!, w[1]!, size[0], size[1]];

export const conv2dInputGradOp = defineOp<Conv2dInputGradAttrs>({
  name: 'conv2d_input_grad',
  infer([dy, w], attrs) {
    const out = inputShape(dy!.shape, w!.shape, attrs.inputSize);
    const [oh, ow] = outputSize('conv2d_input_grad', attrs.inputSize, [w!.shape[2]!, w!.shape[3]!], attrs);
    if (dy!.shape.length !== 4 || dy!.shape[1] !== w!.shape[0] || dy!.shape[2] !== oh || dy!.shape[3] !== ow) {
      throw new ShapeError(`conv2d_input_grad: dy has shape ${fmt(dy!.shape)}, expected [${dy!.shape[0]},${w!.shape[0]},${oh},${ow}]`);
    }
    return { shape: out, dtype: 'f32' };
  },
  lower(node, attrs) {
    const [dy, w] = node.inputs;
    const g = geometry(inputShape(dy!.shape, w!.shape, attrs.inputSize), w!.shape, attrs);
    const variants = gemmVariants(code, Math.ceil(g.C / 16) * Math.ceil((g.B * g.H * g.W) / 8));
    return [tunableCall({ label: 'conv2d_input_grad', constants: geometryConstants(g), bindings: [{ input: 0 }, { input: 1 }, { output: true }] }, variants)];
  },
  cpu([dy, w], attrs, out) {
    const g = geometry(out.shape, w!.shape, attrs);
    const data = new Float64Array(g.B * g.C * g.H * g.W);
    forEachTap(g, (n, oh, ow, kh, kw, ih, iw) => {
      for (let ci = 0; ci < g.C; ci++) {
        let acc = 0;
        for (let co = 0; co < g.CO; co++) acc += w!.data[((co * g.C + ci) * g.KH + kh) * g.KW + kw]! * dy!.data[((n * g.CO + co) * g.OH + oh) * g.OW + ow]!;
        data[((n * g.C + ci) * g.H + ih) * g.W + iw] += acc;
      }
    });
    return { shape: out.shape, dtype: 'f32', data };
  },
  /** The same GEMM as the forward conv, transposed: two FLOPs per (output pixel, CO, C, tap). */
  flops(node, attrs) {
    const g = geometry(node.shape, node.inputs[1]!.shape, attrs);
    return 2 * g.B * g.OH * g.OW * g.CO * g.C * g.KH * g.KW;
  },
});

export function conv2dInputGrad(dy: Tensor, weight: Tensor, attrs: Conv2dAttrs, inputSize: Pair): Tensor {
  return dy.graph.apply(conv2dInputGradOp, [dy, weight], { ...attrs, inputSize });
}
