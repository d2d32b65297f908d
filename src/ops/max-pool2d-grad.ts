// Backward of max_pool2d: dx from the forward's input x and the output gradient dy. A gather (one
// invocation per input element, see shaders/max_pool2d_grad.wgsl) rather than a scatter from each
// window, so overlapping windows need no atomics.
import window from '../../shaders/pool_window.wgsl';
import kernel from '../../shaders/max_pool2d_grad.wgsl';
import { fmt, sameShape, ShapeError } from '../graph/shape';
import type { Tensor } from '../graph/tensor';
import { defineOp, dispatch1d } from './op';
import { pool2dConstants, pool2dOutputShape, tilesExactly, windowArgmax, type Pool2dAttrs } from './pool2d-window';

const code = `${window}\n${kernel}`;

export interface MaxPool2dGradAttrs extends Pool2dAttrs {
  /**
   * dx where x > 0, else 0: relu_grad(x, max_pool2d_grad(x, dy)) in one kernel, for x a relu output.
   * Set by the fusion pass (src/graph/fusion/pool-grad-relu.ts).
   */
  reluMask?: boolean;
}

export const maxPool2dGradOp = defineOp<MaxPool2dGradAttrs>({
  name: 'max_pool2d_grad',
  infer([x, dy], attrs) {
    if (x!.dtype !== 'f32' || dy!.dtype !== 'f32') throw new ShapeError(`max_pool2d_grad: x and dy must be f32, got ${x!.dtype} and ${dy!.dtype}`);
    const expected = pool2dOutputShape('max_pool2d_grad', x!.shape, attrs);
    if (!sameShape(dy!.shape, expected))
      throw new ShapeError(`max_pool2d_grad: dy is ${fmt(dy!.shape)}, the pooled shape of x ${fmt(x!.shape)} is ${fmt(expected)}`);
    return { shape: x!.shape, dtype: 'f32' };
  },
  lower(node, attrs) {
    const x = node.inputs[0]!;
    const dy = node.inputs[1]!;
    const constants = pool2dConstants(x.shape, dy.shape, attrs);
    const tiled = tilesExactly(constants);
    const invocations = tiled ? dy.size : x.size;
    return [
      {
        code,
        entryPoint: tiled ? 'tiled' : 'main',
        label: attrs.reluMask ? 'max_pool2d_grad+relu_grad' : 'max_pool2d_grad',
        constants: { ...constants, TOTAL: invocations, RELU_MASK: attrs.reluMask ? 1 : 0, TILED: tiled ? 1 : 0 },
        bindings: [{ input: 0 }, { input: 1 }, { output: true }],
        workgroups: dispatch1d(invocations),
      },
    ];
  },
  // No gradient rule: second derivatives through pooling are not needed for training.
  cpu([x, dy], attrs) {
    const [n, c, h, w] = x!.shape as [number, number, number, number];
    const [oh, ow] = [dy!.shape[2]!, dy!.shape[3]!];
    const dx = new Float64Array(x!.data.length);
    for (let p = 0; p < n * c; p++) {
      for (let r = 0; r < oh; r++) {
        for (let s = 0; s < ow; s++) {
          const at = windowArgmax(x!.data, p * h * w, h, w, r, s, attrs);
          if (at >= 0) dx[p * h * w + at]! += dy!.data[(p * oh + r) * ow + s]!;
        }
      }
    }
    if (attrs.reluMask) dx.forEach((v, i) => (dx[i] = x!.data[i]! > 0 ? v : 0));
    return { shape: x!.shape, dtype: 'f32', data: dx };
  },
});

export function maxPool2dGrad(x: Tensor, dy: Tensor, attrs: Pool2dAttrs): Tensor {
  return x.graph.apply(maxPool2dGradOp, [x, dy], attrs);
}
