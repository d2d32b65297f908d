import { expect } from 'chai';
import { evaluateCpu, Graph, Program, type SymbolicTensor as Tensor } from '../src/node';
import type { Conv2dOptions } from '../src/ops/conv2d-geometry';
import { conv2dWeightGrad } from '../src/ops/conv2d-weight-grad';
import { checkForward, checkGradient } from './helpers/check-op';
import { testDevice } from './helpers/device';
import { expectClose, randomArray } from './helpers/numeric';

const conv =
  (options: Conv2dOptions, bias = true) =>
  (g: Graph, x: Tensor, w: Tensor, b?: Tensor) =>
    g.conv2d(x, w, bias ? b! : null, options);

describe('conv2d', () => {
  it('forward matches the float64 reference on odd shapes, strides, padding and dilation', async () => {
    // Batch 3, 13x11 images; output channels not a multiple of the 16-row tile. 5 input channels take
    // the kernel's taps-outer loop, 2 its walk in storage order (shaders/conv2d.wgsl).
    for (const channels of [5, 2]) await forwardCases(channels);
  });

  async function forwardCases(channels: number): Promise<void> {
    const x = { shape: [3, channels, 13, 11] };
    const cases: [Conv2dOptions, number, number, number][] = [
      [{}, 7, 3, 3],
      [{ padding: 1 }, 7, 3, 3],
      [{ stride: 2 }, 7, 3, 3],
      [{ stride: 2, padding: 1 }, 17, 3, 3],
      [{ dilation: 2 }, 7, 3, 3],
      [{ dilation: 2, padding: 2, stride: [2, 1] }, 4, 3, 2],
      [{ padding: [0, 2] }, 3, 1, 5],
      [{}, 33, 1, 1],
    ];
    for (const [options, co, kh, kw] of cases) {
      const label = `conv2d ${JSON.stringify(options)} ${co}x${channels}x${kh}x${kw}`;
      await checkForward(conv(options), [x, { shape: [co, channels, kh, kw] }, { shape: [co] }], { label, rtol: 1e-4, atol: 1e-5 });
      await checkForward(conv(options, false), [x, { shape: [co, channels, kh, kw] }], { label: `${label} without bias`, rtol: 1e-4, atol: 1e-5 });
    }
  }

  it('input, weight and bias gradients match finite differences', async () => {
    const cases: Conv2dOptions[] = [{}, { padding: 1, stride: 2 }, { dilation: 2, padding: 1 }, { stride: [1, 2], padding: [1, 0] }];
    for (const options of cases) {
      await checkGradient(conv(options), [{ shape: [2, 3, 7, 6] }, { shape: [5, 3, 3, 3] }, { shape: [5] }], { rtol: 2e-2, atol: 2e-3 });
    }
  });

  it('the split-K weight gradient sums its partials to the same result for any split count', async () => {
    const device = await testDevice();
    const xs = randomArray(2 * 3 * 9 * 8, 5);
    const dys = randomArray(2 * 18 * 7 * 6, 6);
    const results: Float32Array[] = [];
    for (const splits of [1, 3, 7, 84]) {
      const g = new Graph();
      const x = g.input('x', [2, 3, 9, 8]);
      const dy = g.input('dy', [2, 18, 7, 6]);
      const dw = conv2dWeightGrad(x, dy, { stride: [1, 1], padding: [0, 0], dilation: [1, 1] }, [3, 3], splits);
      expect(dw.shape).to.deep.equal([18, 3, 3, 3]);
      const program = await Program.compile(device, g, { outputs: [dw] });
      program.run({ x: xs, dy: dys });
      const gpu = (await program.read(dw)) as Float32Array;
      const cpu = evaluateCpu(
        [dw],
        new Map([
          [x, xs],
          [dy, dys],
        ]),
      ).get(dw)!;
      expectClose(gpu, cpu.data, `weight gradient in ${splits} splits`, 1e-4, 1e-5);
      results.push(gpu);
    }
  });

  it('rejects mismatched shapes with messages naming the problem', () => {
    const g = new Graph();
    const x = g.input('x', [2, 3, 8, 8]);
    expect(() => g.conv2d(x, g.input('w', [4, 1, 3, 3]))).to.throw('conv2d: input has 3 channels, weight expects 1');
    expect(() => g.conv2d(x, g.input('w2', [4, 3, 3, 3]), g.input('b', [3]))).to.throw('conv2d: bias has shape [3], expected [4]');
    expect(() => g.conv2d(g.input('flat', [2, 192]), g.input('w3', [4, 3, 3, 3]))).to.throw('conv2d: input must be 4-D, got [2,192]');
    expect(() => g.conv2d(x, g.input('w4', [4, 3, 9, 9]))).to.throw('larger than the padded input 8x8');
    expect(() => g.conv2d(x, g.input('w5', [4, 3, 3, 3]), null, { stride: 0 })).to.throw('stride must be an integer >= 1');
  });
});
