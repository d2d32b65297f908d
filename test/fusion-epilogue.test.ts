// Epilogue fusion: conv2d and matmul with a relu (and matmul with a bias) against the float64
// reference at shapes that do not fill their tiles; the rules that produce them (conv2d-relu,
// matmul-bias, matmul-relu, max-pool2d-grad-relu, and relu-grad-from-output, which frees the
// pre-activation) on small
// training steps with gradients and an SGD update, compiled with fusion on and off.
import { expect } from 'chai';
import { Graph, optim, Program, Variable, type SymbolicTensor as Tensor } from '../src/node';
import { fuse } from '../src/graph/fusion/index';
import { scheduleStep } from '../src/graph/program';
import { conv2dOp, type Conv2dForwardAttrs } from '../src/ops/conv2d';
import { convAttrs, type Conv2dOptions } from '../src/ops/conv2d-geometry';
import { matmulOp, type MatmulAttrs } from '../src/ops/matmul';
import { maxPool2dGradOp, type MaxPool2dGradAttrs } from '../src/ops/max-pool2d-grad';
import { pair, pool2dOutputShape, type Pool2dAttrs } from '../src/ops/pool2d-window';
import { reluGradOp, reluOp } from '../src/ops/relu';
import { checkForward } from './helpers/check-op';
import { testDevice } from './helpers/device';
import { expectClose, randomArray } from './helpers/numeric';

/** Pool attributes as the op stores them, from the layer's kernel / stride / padding options. */
const poolAttrs = (o: { kernel: number; stride?: number; padding?: number }): Pool2dAttrs => ({
  kernel: pair(o.kernel),
  stride: pair(o.stride ?? o.kernel),
  padding: pair(o.padding ?? 0),
  dilation: pair(1),
});

type Flags = { transposeA: boolean; transposeB: boolean };
const combos: Flags[] = [false, true].flatMap((transposeA) => [false, true].map((transposeB) => ({ transposeA, transposeB })));

/** matmul with a bias input (when given) and the relu attribute, as the fusion pass builds it. */
const fusedMatmul = (flags: Flags, relu: boolean) => (g: Graph, a: Tensor, b: Tensor, bias?: Tensor) =>
  g.apply(matmulOp, bias ? [a, b, bias] : [a, b], { ...flags, relu } satisfies MatmulAttrs);

/** conv2d with the relu attribute set. */
const fusedConv = (options: Conv2dOptions) => (g: Graph, x: Tensor, w: Tensor, b?: Tensor) =>
  g.apply(conv2dOp, b ? [x, w, b] : [x, w], { ...convAttrs('conv2d', options), relu: true } satisfies Conv2dForwardAttrs);

/** relu_grad, or an elementwise chain made with it (named after its steps, 'mul+relu_grad'). */
const isReluGrad = (n: Tensor): boolean => n.op === reluGradOp || n.name.split('+').includes('relu_grad');

/** The fused step's kernel nodes, for checking what the rules made of a graph. */
function fusedSchedule(g: Graph, outputs: Tensor[]): Tensor[] {
  return fuse(scheduleStep(g, outputs), outputs).schedule;
}

describe('fusion: matmul and conv2d epilogues', () => {
  it('matmul with bias [N] or [1,N] and relu matches the reference for every transposition, off-tile shapes', async () => {
    // [m, k, n]: m not a multiple of the 16-row tile, n not of the 8-column tile, size-1 sides.
    const shapes: [number, number, number][] = [
      [17, 13, 5],
      [7, 6, 12],
      [1, 20, 3],
    ];
    // The epilogue works on C after the product, so every transposition gets the full epilogue and
    // the plain layout the other two variants (each case is a pipeline compile: slow on SwiftShader).
    for (const flags of combos) {
      for (const [m, k, n] of shapes) {
        const a = { shape: flags.transposeA ? [k, m] : [m, k] };
        const b = { shape: flags.transposeB ? [n, k] : [k, n] };
        const label = `${JSON.stringify(flags)} [${m},${k}]x[${k},${n}]`;
        await checkForward(fusedMatmul(flags, true), [a, b, { shape: [n] }], { label: `${label} +bias[N] +relu` });
        if (flags.transposeA || flags.transposeB) continue;
        await checkForward(fusedMatmul(flags, false), [a, b, { shape: [1, n] }], { label: `${label} +bias[1,N]` });
        await checkForward(fusedMatmul(flags, true), [a, b], { label: `${label} +relu` });
      }
    }
  });

  it('conv2d with relu matches the reference (C_out 7 and 17, batch 3, with and without bias)', async () => {
    const x = { shape: [3, 5, 9, 11] };
    const cases: [Conv2dOptions, number][] = [
      [{}, 7],
      [{ padding: 1, stride: 2 }, 17],
      [{ dilation: 2, padding: [1, 0] }, 7],
    ];
    for (const [options, co] of cases) {
      const label = `conv2d+relu ${JSON.stringify(options)} C_out ${co}`;
      await checkForward(fusedConv(options), [x, { shape: [co, 5, 3, 3] }, { shape: [co] }], { label, rtol: 1e-4 });
      await checkForward(fusedConv(options), [x, { shape: [co, 5, 3, 3] }], { label: `${label} without bias`, rtol: 1e-4 });
    }
  });

  it('matmul rejects a bias that is not one value per output column', () => {
    const g = new Graph();
    const a = g.input('a', [4, 3]);
    const b = g.input('b', [3, 5]);
    const flags = { transposeA: false, transposeB: false };
    expect(() => g.apply(matmulOp, [a, b, g.input('c', [4])], flags)).to.throw('matmul: bias must be f32 [5] or [1,5] (one per output column), got f32[4]');
    expect(() => g.apply(matmulOp, [a, b, g.input('d', [4, 5])], flags)).to.throw('got f32[4,5]');
  });

  it('conv -> relu -> conv -> relu with gradients and SGD: same values, relus in the conv epilogues', async () => {
    const shapes = { w1: [7, 2, 3, 3], b1: [7], w2: [17, 7, 3, 3], b2: [17] };
    const result = await trainBothWays(shapes, [3, 2, 9, 8], (g, x, p) => {
      const h = g.relu(g.conv2d(x, p['w1']!, p['b1']!, { padding: 1 }));
      return g.relu(g.conv2d(h, p['w2']!, p['b2']!, { stride: 2 }));
    });
    expect(result.fused).to.be.lessThan(result.unfused);
    // Both relus became epilogues, and each relu_grad (maybe inside an elementwise chain) reads the
    // fused conv, relu's output: the pre-activation is never stored.
    expect(result.ops.filter((n) => n.op === reluOp)).to.have.length(0);
    const convs = result.ops.filter((n) => n.op === conv2dOp);
    expect(convs.map((n) => (n.attrs as Conv2dForwardAttrs).relu)).to.deep.equal([true, true]);
    const reluGrads = result.ops.filter(isReluGrad);
    expect(reluGrads).to.have.length(2);
    for (const conv of convs)
      expect(
        reluGrads.some((rg) => rg.inputs.includes(conv)),
        `${conv} read by a relu_grad`,
      ).to.equal(true);
  });

  it('conv -> relu -> max_pool2d with gradients and SGD: relu_grad goes into the pool backward (tiled and overlapping windows)', async () => {
    for (const pool of [{ kernel: 2 }, { kernel: 3, stride: 2, padding: 1 }]) {
      const shapes = { w1: [7, 2, 3, 3], b1: [7] };
      const result = await trainBothWays(shapes, [3, 2, 10, 9], (g, x, p) =>
        g.maxPool2d(g.relu(g.conv2d(x, p['w1']!, p['b1']!)), pool.kernel, pool.stride, pool.padding),
      );
      expect(result.fused, JSON.stringify(pool)).to.be.lessThan(result.unfused);
      const poolGrads = result.ops.filter((n) => n.op === maxPool2dGradOp);
      expect(
        poolGrads.map((n) => (n.attrs as MaxPool2dGradAttrs).reluMask),
        JSON.stringify(pool),
      ).to.deep.equal([true]);
      expect(
        result.ops.filter((n) => n.op !== maxPool2dGradOp && isReluGrad(n)),
        'no relu_grad of its own',
      ).to.have.length(0);
    }
  });

  it('max_pool2d_grad with the relu mask matches the reference, zero and negative maxima included', async () => {
    // Half the inputs are <= 0 (-1, -0 and 0 among them), so whole windows have a maximum <= 0.
    const data = randomArray(2 * 3 * 7 * 8, 4, -1, 1).map((v, i) => (i % 11 === 0 ? 0 : i % 13 === 0 ? -0 : v));
    for (const attrs of [{ kernel: 2 }, { kernel: 3, stride: 2, padding: 1 }]) {
      const pooled = pool2dOutputShape('test', [2, 3, 7, 8], poolAttrs(attrs));
      await checkForward(
        (g, x, dy) => g.apply(maxPool2dGradOp, [g.relu(x), dy!], { ...poolAttrs(attrs), reluMask: true } satisfies MaxPool2dGradAttrs),
        [{ shape: [2, 3, 7, 8], data }, { shape: pooled }],
        { label: `pool grad + relu mask ${JSON.stringify(attrs)}` },
      );
    }
  });

  it('linear -> relu -> linear with gradients and SGD: same values, bias and relu in the matmul epilogues', async () => {
    const shapes = { w1: [17, 11], b1: [17], w2: [5, 17], b2: [1, 5] };
    const result = await trainBothWays(shapes, [13, 11], (g, x, p) => {
      const h = g.relu(g.add(g.matmul(x, p['w1']!, { transposeB: true }), p['b1']!));
      return g.add(p['b2']!, g.matmul(h, p['w2']!, { transposeB: true })); // bias on the left
    });
    expect(result.fused).to.be.lessThan(result.unfused);
    const forward = result.ops.filter((n) => n.op === matmulOp && n.inputs.length === 3);
    expect(forward.map((n) => (n.attrs as MatmulAttrs).relu ?? false)).to.deep.equal([true, false]);
    expect(result.ops.filter((n) => n.op === reluOp)).to.have.length(0);
    expect(result.ops.find(isReluGrad)!.inputs).to.include(forward[0]);
  });

  it('leaves the product alone when something else reads it, when the add is not a row bias, and keeps bias before relu', async () => {
    const g = new Graph();
    const x = g.input('x', [6, 4]);
    const w = g.input('w', [4, 9]);
    const full = g.input('full', [6, 9]);
    const column = g.input('column', [6, 1]);
    const bias = g.input('bias', [9]);
    const shared = g.matmul(x, w);
    const outputs = [
      g.add(shared, bias), // shared is also read by the next line: no bias epilogue
      g.relu(shared),
      g.add(g.matmul(x, w), full), // [M,N] addend: not a bias
      g.add(g.matmul(x, w), column), // [M,1]: broadcast over columns, not rows
      g.add(g.relu(g.matmul(x, w)), bias), // relu first: the add stays after it
    ];
    const ops = fusedSchedule(g, outputs);
    expect(ops.filter((n) => n.op === matmulOp).map((n) => `${n.inputs.length}${(n.attrs as MatmulAttrs).relu ? 'r' : ''}`)).to.deep.equal([
      '2',
      '2',
      '2',
      '2r',
    ]);
    await compareFusedAndUnfused(g, outputs, { x: [6, 4], w: [4, 9], full: [6, 9], column: [6, 1], bias: [9] });
  });

  it('relu_grad reads relu output only where the relu runs first, and agrees on 0, -0, NaN and infinities', async () => {
    const g = new Graph();
    // Inputs must be finite, so x = num / den makes the NaN (0/0) and the infinities (+-1/0) on the GPU.
    const x = g.div(g.input('num', [10]), g.input('den', [10]));
    const dy = g.input('dy', [10]);
    const early = g.apply(reluGradOp, [x, dy], {});
    const r = g.relu(x);
    const loss = g.sum(g.mul(r, g.constant(randomArray(10, 3), [10])));
    const [dx] = g.grad(loss, [x]);
    const outputs = [early, r, dx!];
    const ops = fusedSchedule(g, outputs);
    // The hand-made relu_grad runs before relu(x): it keeps reading x. autodiff's reads relu's output.
    const reads = ops.filter(isReluGrad).map((n) => [n.inputs.includes(x), n.inputs.includes(r)]);
    expect(reads).to.deep.equal([
      [true, false],
      [false, true],
    ]);
    // x = -2, -0, 0, 1e-30, 3, NaN, +inf, -inf, 1e-40 (subnormal), 0.5
    const num = Float32Array.of(-2, -0, 0, 1e-30, 3, 0, 1, -1, 1e-40, 0.5);
    const den = Float32Array.of(1, 1, 1, 1, 1, 0, 0, 0, 1, 1);
    const feeds = { num, den, dy: randomArray(10, 4, 1, 2) };
    const [on, off] = await Promise.all(
      [true, false].map(async (fusion) => {
        const program = await Program.compile(await testDevice(), g, { outputs, fusion });
        program.run(feeds);
        return Promise.all(outputs.map((t) => program.read(t)));
      }),
    );
    for (const [i, t] of outputs.entries()) expectClose(on![i]!, off![i]!, `${t} with fusion on and off`, 0, 0);
  });
});

interface TrainResult {
  fused: number;
  unfused: number;
  /** The fused step's kernel nodes. */
  ops: Tensor[];
}

/**
 * Builds one training step (forward, loss = sum(out * c), gradients, SGD with momentum) twice with
 * fresh but equal parameters, runs two steps with fusion on and off, and compares the loss, the
 * gradients and the updated parameters.
 */
async function trainBothWays(
  shapes: Record<string, number[]>,
  inputShape: number[],
  forward: (g: Graph, x: Tensor, p: Record<string, Tensor>) => Tensor,
): Promise<TrainResult> {
  const device = await testDevice();
  const xData = randomArray(
    inputShape.reduce((a, b) => a * b, 1),
    7,
  );
  const counts: number[] = [];
  const values: Float32Array[][] = [];
  let ops: Tensor[] = [];
  for (const fusion of [true, false]) {
    const g = new Graph();
    const vars = Object.entries(shapes).map(
      ([name, shape], i) =>
        new Variable(name, shape, 'f32', {
          trainable: true,
          data: randomArray(
            shape.reduce((a, b) => a * b, 1),
            11 + i,
            -0.5,
            0.5,
          ),
        }),
    );
    const params = vars.map((v) => g.variable(v));
    const x = g.input('x', inputShape);
    const out = forward(g, x, Object.fromEntries(params.map((p, i) => [vars[i]!.name, p])));
    const loss = g.sum(g.mul(out, g.constant(randomArray(out.size, 8), out.shape, 'c')));
    const grads = g.grad(loss, params);
    optim.sgd({ lr: 0.05, momentum: 0.9 }).addUpdates(g, params, grads);
    const outputs = [loss, ...grads];
    if (fusion) ops = fusedSchedule(g, outputs);
    const program = await Program.compile(device, g, { outputs, fusion });
    program.run({ x: xData }, { steps: 2 });
    counts.push(program.stats.dispatchesPerStep);
    const read = await Promise.all([...outputs.map((t) => program.read(t)), ...vars.map((v) => v.read())]);
    values.push(read.map((a) => Float32Array.from(a)));
  }
  const names = ['loss', ...Object.keys(shapes).map((n) => `d${n}`), ...Object.keys(shapes)];
  values[0]!.forEach((v, i) => expectClose(v, values[1]![i]!, `${names[i]} after 2 steps, fusion on vs off`, 1e-4, 1e-5));
  return { fused: counts[0]!, unfused: counts[1]!, ops };
}

/** Runs the outputs with fusion on and off on random inputs of the given shapes; they must agree. */
async function compareFusedAndUnfused(g: Graph, outputs: Tensor[], inputs: Record<string, number[]>): Promise<void> {
  const device = await testDevice();
  const feeds = Object.fromEntries(
    Object.entries(inputs).map(([name, shape], i) => [
      name,
      randomArray(
        shape.reduce((a, b) => a * b, 1),
        20 + i,
      ),
    ]),
  );
  const results: Float32Array[][] = [];
  for (const fusion of [true, false]) {
    const program = await Program.compile(device, g, { outputs, fusion });
    program.run(feeds);
    results.push(await Promise.all(outputs.map(async (t) => Float32Array.from(await program.read(t)))));
  }
  outputs.forEach((t, i) => expectClose(results[0]![i]!, results[1]![i]!, `${t} fusion on vs off`, 1e-5, 1e-6));
}
