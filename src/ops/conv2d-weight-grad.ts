// The gradient of conv2d with respect to its weight (shaders/conv2d_weight_grad.wgsl): a GEMM whose
// reduction runs over every output pixel of the batch. The op computes `splits` partial sums over
// consecutive ranges of (n, oh, ow), [splits, CO, C, KH, KW], and conv2dWeightGrad() adds them with
// a sum over the first axis, so a long reduction still spreads over many invocations.
import convGather from '../../shaders/conv_gather.wgsl';
import convGeometry from '../../shaders/conv_geometry.wgsl';
import source from '../../shaders/conv2d_weight_grad.wgsl';
import { fmt, ShapeError } from '../graph/shape';
import type { Tensor } from '../graph/tensor';
import { forEachTap, geometry, geometryConstants, hasPadding, outputSize, type Conv2dAttrs, type Pair } from './conv2d-geometry';
import { gemmCode, gemmVariants } from './gemm-dispatch';
import { registerTileStores } from './gemm/register-tile';
import { weightGradHardwareVariants } from './gemm/variants';
import { defineOp, tunableCall, type KernelVariant } from './op';
import { reshape } from './reshape';
import { sum } from './sum';

const code = gemmCode(convGeometry, registerTileStores(), convGather, source);

export interface Conv2dWeightGradAttrs extends Conv2dAttrs {
  kernel: Pair;
  splits: number;
}

/** Invocations worth having in flight; more splits past this only add partials to sum. */
const TARGET_INVOCATIONS = 1024;
/** Fewest output pixels summed by one invocation. */
const MIN_CHUNK = 128;

const weightShape = (x: readonly number[], dy: readonly number[], kernel: Pair) => [dy[1]!, x[1]!, kernel[0], kernel[1]];

export const conv2dWeightGradOp = defineOp<Conv2dWeightGradAttrs>({
  name: 'conv2d_weight_grad',
  infer([x, dy], attrs) {
    const [oh, ow] = outputSize('conv2d_weight_grad', [x!.shape[2]!, x!.shape[3]!], attrs.kernel, attrs);
    if (dy!.shape.length !== 4 || dy!.shape[0] !== x!.shape[0] || dy!.shape[2] !== oh || dy!.shape[3] !== ow) {
      throw new ShapeError(`conv2d_weight_grad: dy has shape ${fmt(dy!.shape)}, expected [${x!.shape[0]},CO,${oh},${ow}]`);
    }
    if (!Number.isInteger(attrs.splits) || attrs.splits < 1) throw new ShapeError(`conv2d_weight_grad: splits must be a positive integer, got ${attrs.splits}`);
    return { shape: [attrs.splits, ...weightShape(x!.shape, dy!.shape, attrs.kernel)], dtype: 'f32' };
  },
  lower(node, attrs) {
    const [x, dy] = node.inputs;
    const g = geometry(x!.shape, weightShape(x!.shape, dy!.shape, attrs.kernel), attrs);
    const tiles = Math.ceil(g.CO / 16) * Math.ceil((g.C * g.KH * g.KW) / 8);
    return [
      tunableCall(
        {
          label: 'conv2d_weight_grad',
          constants: { ...geometryConstants(g), PADDED: hasPadding(attrs) ? 1 : 0, SPLITS: attrs.splits },
          bindings: [{ input: 0 }, { input: 1 }, { output: true }],
        },
        [
          ...weightGradVariants(tiles, attrs.splits, (g.OH * g.OW) % 4 === 0),
          // K split over a workgroup, lanes over pixels, for hardware GPUs (src/ops/gemm/forms.ts).
          ...weightGradHardwareVariants(g.CO, g.C * g.KH * g.KW, attrs.splits),
        ],
      ),
    ];
  },
  cpu([x, dy], attrs, out) {
    const g = geometry(x!.shape, weightShape(x!.shape, dy!.shape, attrs.kernel), attrs);
    const taps = g.C * g.KH * g.KW;
    const data = new Float64Array(attrs.splits * g.CO * taps);
    const ohw = g.OH * g.OW;
    const chunk = rangeLength(g.B * ohw, attrs.splits);
    forEachTap(g, (n, oh, ow, kh, kw, ih, iw) => {
      const split = Math.floor((n * ohw + oh * g.OW + ow) / chunk);
      for (let co = 0; co < g.CO; co++) {
        const d = dy!.data[((n * g.CO + co) * g.OH + oh) * g.OW + ow]!;
        for (let ci = 0; ci < g.C; ci++)
          data[(split * g.CO + co) * taps + (ci * g.KH + kh) * g.KW + kw] += d * x!.data[((n * g.C + ci) * g.H + ih) * g.W + iw]!;
      }
    });
    return { shape: out.shape, dtype: 'f32', data };
  },
  /** The same GEMM as the forward conv, reduced over the batch's pixels instead (all splits together). */
  flops(node, attrs) {
    const [x, dy] = node.inputs;
    const g = geometry(x!.shape, weightShape(x!.shape, dy!.shape, attrs.kernel), attrs);
    return 2 * g.B * g.OH * g.OW * g.CO * g.C * g.KH * g.KW;
  },
});

/**
 * Today's choice (every slab its own range, the usual workgroup size: where OH*OW % 4 == 0 the
 * subgroup quads code, the subgroup code and the quads code, else the subgroup code, then the plain
 * code) first, then half and a quarter as many ranges (longer chunks, fewer invocations) and the
 * largest other workgroup size.
 *
 * The split count fixes the shape of the partials, which the graph holds from autodiff on (the sum
 * after it, the memory plan), so a variant cannot add slabs: it can only sum over fewer ranges and
 * leave the remaining slabs zero (RANGES in the shader). Tuning therefore only ever tries fewer
 * splits than weightGradSplits() chose, which suits software adapters (where 1,024 invocations are
 * more than the CPU threads need); the sum still reads every slab, the same for every variant.
 */
function weightGradVariants(tiles: number, splits: number, quads: boolean): KernelVariant[] {
  const invocations = tiles * splits;
  // Quads lead where they run: at MNIST's conv2, SwiftShader 352 -> 333 ms with subgroups, llvmpipe 65 -> 50 ms.
  const variants = gemmVariants(code, invocations, { extra: { RANGES: splits }, quads, quadsFirst: true });
  const plain = variants.filter((v) => v.code === code.plain);
  // The subgroup and quads forms and the plain one, at the usual workgroup size.
  const usual = variants.slice(0, variants.indexOf(plain[0]!) + 1);
  const size = plain[0]!.constants['WG']!;
  const ranges = [Math.ceil(splits / 2), Math.ceil(splits / 4)].filter((r, i, all) => r < splits && all.indexOf(r) === i);
  const fewer = ranges.map((r): KernelVariant => ({ ...plain[0]!, name: `wg${size}.ranges${r}`, constants: { WG: size, RANGES: r } }));
  const other = plain.slice(1).sort((a, b) => b.constants['WG']! - a.constants['WG']!)[0];
  return [...usual, ...fewer, ...(other ? [other] : [])];
}

/**
 * How many output pixels each of `ranges` ranges sums: an even share rounded up to a multiple of 4,
 * so that a range's blocks of 4 pixels never straddle two images when OH*OW % 4 == 0 (the quads
 * kernel reads dy four pixels at a time). The shader cuts its ranges the same way.
 */
export function rangeLength(pixels: number, ranges: number): number {
  return Math.ceil(Math.ceil(pixels / ranges) / 4) * 4;
}

/** How many ranges the reduction over B*OH*OW output pixels is split into. */
export function weightGradSplits(outCh: number, taps: number, pixels: number): number {
  const tiles = Math.ceil(outCh / 16) * Math.ceil(taps / 8);
  return Math.max(1, Math.min(Math.ceil(TARGET_INVOCATIONS / tiles), Math.floor(pixels / MIN_CHUNK)));
}

export function conv2dWeightGrad(x: Tensor, dy: Tensor, attrs: Conv2dAttrs, kernel: Pair, splits?: number): Tensor {
  const n = splits ?? weightGradSplits(dy.shape[1]!, x.shape[1]! * kernel[0] * kernel[1], dy.shape[0]! * dy.shape[2]! * dy.shape[3]!);
  const partials = x.graph.apply(conv2dWeightGradOp, [x, dy], { ...attrs, kernel, splits: n });
  const shape = partials.shape.slice(1);
  return n === 1 ? reshape(partials, shape) : sum(partials, [0]);
}
