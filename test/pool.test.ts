import { expect } from 'chai';
import { Graph, nn, Program, RandomStream, type Shape, type SymbolicTensor as Tensor } from '../src/node';
import type { Size2 } from '../src/ops/pool2d-window';
import { checkForward, checkGradient } from './helpers/check-op';
import { testDevice } from './helpers/device';

/** Distinct values 0.01 apart in random order: finite differences (eps 1e-3) never move an argmax. */
function distinct(shape: Shape, seed: number): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const order = new RandomStream(seed).permutation(n);
  return Float32Array.from(order, (v) => (v - n / 2) * 0.01);
}

interface Case {
  name: string;
  kernel: Size2;
  stride?: Size2;
  padding?: Size2;
  dilation?: Size2;
}

const cases: Case[] = [
  { name: 'kernel 3, stride 2, padding 1', kernel: 3, stride: 2, padding: 1 },
  { name: 'kernel 2, stride 2', kernel: 2 },
  { name: 'kernel [3,2], stride 1 (overlapping windows)', kernel: [3, 2], stride: 1 },
  { name: 'kernel 3, dilation 2, padding 1', kernel: 3, stride: 1, padding: 1, dilation: 2 },
  { name: 'kernel [2,3], stride [1,2], padding [1,0]', kernel: [2, 3], stride: [1, 2], padding: [1, 0] },
];

const pool = (c: Case) => (g: Graph, x: Tensor) => g.maxPool2d(x, c.kernel, c.stride, c.padding, c.dilation);

describe('max_pool2d', () => {
  it('matches the float64 reference on odd shapes ([3,5,13,11])', async () => {
    for (const c of cases) {
      await checkForward(pool(c), [{ shape: [3, 5, 13, 11] }], { label: c.name });
    }
    // Ties pick the first maximum in row-major order: with all-equal inputs every window's value is 1.
    await checkForward(pool(cases[2]!), [{ shape: [1, 2, 5, 4], data: new Float32Array(40).fill(1) }]);
  });

  it('infers PyTorch output sizes, floor((H + 2p - d(k-1) - 1) / s) + 1', () => {
    const g = new Graph();
    const x = g.input('x', [3, 5, 13, 11]);
    expect(g.maxPool2d(x, 3, 2, 1).shape).to.deep.equal([3, 5, 7, 6]);
    expect(g.maxPool2d(x, 2).shape).to.deep.equal([3, 5, 6, 5]);
    expect(g.maxPool2d(x, [3, 2], 1).shape).to.deep.equal([3, 5, 11, 10]);
    expect(g.maxPool2d(x, 3, 1, 1, 2).shape).to.deep.equal([3, 5, 11, 9]);
    expect(nn.maxPool2d(2).forward(g.input('m', [64, 32, 24, 24]), { training: true }).shape).to.deep.equal([64, 32, 12, 12]);
  });

  it('gradients against finite differences, overlapping windows included', async () => {
    const shape: Shape = [2, 3, 7, 6];
    for (const [k, c] of cases.entries()) {
      await checkGradient(pool(c), [{ shape, data: distinct(shape, 10 + k) }]);
    }
    // Through a chain, so that dy is not only the check's weights (positive inputs: x * x keeps their order).
    const positive = distinct([1, 2, 5, 5], 3).map((v) => v + 0.3);
    await checkGradient((g, x) => g.tanh(g.maxPool2d(g.mul(x, x), 2, 1)), [{ shape: [1, 2, 5, 5], data: positive }]);
  });

  it('routes each window to its first maximum on ties, adding over windows that share it', async () => {
    // Constant input: each window's first tap (its top-left valid element) takes the whole gradient.
    const device = await testDevice();
    const g = new Graph();
    const x = g.input('x', [1, 1, 3, 3]);
    const y = g.maxPool2d(x, 2, 1); // four windows of 2x2, their first taps at (0,0), (0,1), (1,0), (1,1)
    const [dx] = g.grad(g.sum(y), [x]);
    const program = await Program.compile(device, g, { outputs: [dx!] });
    program.run({ x: new Float32Array(9).fill(2) });
    expect([...(await program.read(dx!))]).to.deep.equal([1, 1, 0, 1, 1, 0, 0, 0, 0]);
  });

  it('windows that tile the input exactly (the MNIST pool) use the one-invocation-per-window backward', async () => {
    await checkGradient(pool(cases[1]!), [{ shape: [2, 3, 6, 8], data: distinct([2, 3, 6, 8], 21) }]);
    await checkGradient((g, x) => g.maxPool2d(x, [2, 3]), [{ shape: [1, 2, 4, 9], data: distinct([1, 2, 4, 9], 22) }]);
    const device = await testDevice();
    const g = new Graph();
    const x = g.input('x', [1, 1, 2, 4]);
    const [dx] = g.grad(g.sum(g.maxPool2d(x, 2)), [x]);
    const backward = g.nodes.find((n) => n.op?.name === 'max_pool2d_grad')!;
    expect(backward.op!.lower!(backward, backward.attrs)[0]!.entryPoint).to.equal('tiled');
    const program = await Program.compile(device, g, { outputs: [dx!] });
    program.run({ x: new Float32Array(8).fill(2) }); // ties: each window's first tap takes its gradient
    expect([...(await program.read(dx!))]).to.deep.equal([1, 0, 1, 0, 0, 0, 0, 0]);
  });

  it('a window holding only padding is -inf, like the padding', async () => {
    // H = W = 1, kernel 2, dilation 2, padding 1: the taps are at -1 and 1, both outside the image.
    await checkForward((g, x) => g.maxPool2d(x, 2, 1, 1, 2), [{ shape: [1, 1, 1, 1] }]);
    const g = new Graph();
    const y = g.maxPool2d(g.input('x', [1, 1, 1, 1]), 2, 1, 1, 2);
    const program = await Program.compile(await testDevice(), g, { outputs: [y] });
    program.run({ x: Float32Array.of(5) });
    expect([...(await program.read(y))]).to.deep.equal([-Infinity]);
  });

  it('shape errors name the op and the problem', () => {
    const g = new Graph();
    const x = g.input('x', [3, 5, 13, 11]);
    expect(() => g.maxPool2d(g.input('v', [3, 5]), 2)).to.throw(/max_pool2d: input must be 4-D \[N,C,H,W\], got \[3,5\]/);
    expect(() => g.maxPool2d(x, 3, 1, 2)).to.throw(/max_pool2d: padding \[2,2\] must be at most half the kernel size \[3,3\]/);
    expect(() => g.maxPool2d(x, [2, 4], 1, [1, 3])).to.throw(/padding \[1,3\] must be at most half the kernel size \[2,4\]/);
    expect(() => g.maxPool2d(x, 0)).to.throw(/max_pool2d: kernel size must be positive integers, got \[0,0\]/);
    expect(() => g.maxPool2d(x, 2, [1, 0])).to.throw(/max_pool2d: stride must be positive integers, got \[1,0\]/);
    expect(() => g.maxPool2d(x, 2, 2, -1)).to.throw(/padding must be non-negative integers/);
    expect(() => g.maxPool2d(x, 2, 2, 0, 0)).to.throw(/dilation must be positive integers/);
    expect(() => g.maxPool2d(x, 14)).to.throw(/max_pool2d: input \[3,5,13,11\] is too small for kernel \[14,14\]/);
    expect(() => g.maxPool2d(g.input('i', [1, 1, 4, 4], 'i32'), 2)).to.throw(/max_pool2d: input must be f32, got i32\[1,1,4,4\]/);
  });

  it('the layer has no parameters and takes PyTorch defaults', () => {
    const layer = nn.maxPool2d(3);
    expect(layer.parameters()).to.deep.equal([]);
    expect([layer.kernel, layer.stride, layer.padding, layer.dilation]).to.deep.equal([
      [3, 3],
      [3, 3],
      [0, 0],
      [1, 1],
    ]);
    expect(nn.maxPool2d([2, 3], 1, [1, 0]).stride).to.deep.equal([1, 1]);
  });
});
