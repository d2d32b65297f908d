// 2-D max pooling of NCHW f32 tensors (torch.nn.functional.max_pool2d without ceil_mode or indices):
// implicit -inf padding, optional dilation. The forward takes each window's first maximum; the
// gradient routes dy back to that element through max_pool2d_grad, which recomputes the argmax
// instead of storing indices.
import window from '../../shaders/pool_window.wgsl';
import kernel from '../../shaders/max_pool2d.wgsl';
import { fmt, ShapeError } from '../graph/shape';
import type { Tensor } from '../graph/tensor';
import { maxPool2dGrad } from './max-pool2d-grad';
import { defineOp, dispatch1d } from './op';
import { pair, pool2dConstants, pool2dOutputShape, tilesExactly, windowArgmax, type Pool2dAttrs, type Size2 } from './pool2d-window';
import { opMethod, type OpMethod } from './op-method';

const code = `${window}\n${kernel}`;

export const maxPool2dOp = defineOp<Pool2dAttrs>({
  name: 'max_pool2d',
  infer([x], attrs) {
    if (x!.dtype !== 'f32') throw new ShapeError(`max_pool2d: input must be f32, got ${x!.dtype}${fmt(x!.shape)}`);
    return { shape: pool2dOutputShape('max_pool2d', x!.shape, attrs), dtype: 'f32' };
  },
  lower(node, attrs) {
    const constants = pool2dConstants(node.inputs[0]!.shape, node.shape, attrs);
    return [
      {
        code,
        constants: { ...constants, TOTAL: node.size, TILED: tilesExactly(constants) ? 1 : 0 },
        bindings: [{ input: 0 }, { output: true }],
        workgroups: dispatch1d(node.size),
      },
    ];
  },
  grad: ({ inputs: [x], attrs, dy }) => [maxPool2dGrad(x!, dy, attrs)],
  cpu([x], attrs, out) {
    const [, , h, w] = x!.shape as [number, number, number, number];
    const [n, c, oh, ow] = out.shape as [number, number, number, number];
    const data = new Float64Array(n * c * oh * ow);
    for (let p = 0; p < n * c; p++) {
      for (let r = 0; r < oh; r++) {
        for (let s = 0; s < ow; s++) {
          const at = windowArgmax(x!.data, p * h * w, h, w, r, s, attrs);
          data[(p * oh + r) * ow + s] = at < 0 ? -Infinity : x!.data[p * h * w + at]!;
        }
      }
    }
    return { shape: out.shape, dtype: 'f32', data };
  },
});

/** torch.nn.functional.max_pool2d(x, kernel, stride = kernel, padding = 0, dilation = 1) for x [N,C,H,W]. */
export function maxPool2d(x: Tensor, kernel: Size2, stride?: Size2, padding: Size2 = 0, dilation: Size2 = 1): Tensor<'f32'> {
  const k = pair(kernel);
  return x.graph.applyF32(maxPool2dOp, [x], { kernel: k, stride: pair(stride ?? k), padding: pair(padding), dilation: pair(dilation) });
}

export const maxPool2dMethod: OpMethod<typeof maxPool2d> = opMethod(maxPool2d, {
  cases: [
    { label: '2x2 windows', operands: [{ shape: [1, 2, 6, 6], distinct: true }], args: (x) => [x, 2] },
    { label: '3x3 windows, stride 2, padding 1', operands: [{ shape: [2, 3, 6, 8], distinct: true }], args: (x) => [x, 3, 2, 1] },
    { label: 'dilation 2, overlapping windows', operands: [{ shape: [1, 2, 7, 7], distinct: true }], args: (x) => [x, 2, 1, 0, 2] },
    { label: 'non-square windows', operands: [{ shape: [1, 2, 4, 9], distinct: true }], args: (x) => [x, [2, 3]] },
  ],
  eager: { functional: 'maxPool2d' },
});
