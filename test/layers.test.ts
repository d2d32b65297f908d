// The layers beyond the seeds' (BatchNorm, average pooling, multi-head attention) and the tensor ops
// that join, split and mask: against float64 references, PyTorch's names and update rules, and in
// the compiled trainer and the eager style.
import { expect } from 'chai';
import * as kiln from '../src/node';
import { Dataset, decodeSafetensors, evaluateCpu, Graph, loss as losses, nn, optim, Program, saveCheckpoint, loadCheckpoint, Trainer } from '../src/node';
import type { SymbolicTensor as Tensor } from '../src/node';
import { testDevice } from './helpers/device';
import { expectClose, randomArray } from './helpers/numeric';

/** Each channel's mean and unbiased variance of x [N, C, H, W], in float64. */
function channelStats(x: Float32Array, [n, c, h, w]: number[]): { mean: number[]; variance: number[] } {
  const mean: number[] = [];
  const variance: number[] = [];
  for (let ch = 0; ch < c; ch++) {
    const values: number[] = [];
    for (let i = 0; i < n!; i++) for (let j = 0; j < h! * w!; j++) values.push(x[(i * c! + ch) * h! * w! + j]!);
    const m = values.reduce((a, b) => a + b, 0) / values.length;
    mean.push(m);
    variance.push(values.reduce((a, b) => a + (b - m) ** 2, 0) / (values.length - 1));
  }
  return { mean, variance };
}

/** The BatchNorm layer's weight and bias in the tests below. */
const BN_WEIGHT = [1.5, -0.5, 2];
const BN_BIAS = [0.1, 0.2, -0.3];

describe('nn.BatchNorm2d', () => {
  it("has PyTorch's parameters and buffers, saved in that order, and loads them back", async () => {
    const bn = nn.batchNorm2d(3);
    expect(bn.namedParameters().map(([n]) => n)).to.deep.equal(['weight', 'bias']);
    expect(bn.namedBuffers().map(([n]) => n)).to.deep.equal(['running_mean', 'running_var', 'num_batches_tracked']);
    const net = nn.sequential({ conv: nn.conv2d(1, 3, 3), bn: nn.batchNorm2d(3), relu: nn.relu() });
    const file = decodeSafetensors(await saveCheckpoint(net), 'net');
    expect(file.tensors.map((t) => `${t.name}:${t.dtype}[${t.shape.join(',')}]`)).to.deep.equal([
      'conv.weight:f32[3,1,3,3]',
      'conv.bias:f32[3]',
      'bn.weight:f32[3]',
      'bn.bias:f32[3]',
      'bn.running_mean:f32[3]',
      'bn.running_var:f32[3]',
      'bn.num_batches_tracked:i32[1]',
    ]);
    const otherBn = nn.batchNorm2d(3);
    const other = nn.sequential({ conv: nn.conv2d(1, 3, 3), bn: otherBn, relu: nn.relu() });
    otherBn.runningVar!.assign(Float32Array.of(5, 5, 5));
    loadCheckpoint(other, await saveCheckpoint(net), 'net');
    expect([...(await otherBn.runningVar!.read())]).to.deep.equal([1, 1, 1]);
    expect(() => nn.batchNorm2d(3).forward(new Graph().input('x', [2, 4, 5, 5]), { training: true })).to.throw(
      'batch_norm2d: input has 4 channels, the layer expects 3',
    );
  });

  it('training steps normalize with the batch and move the running statistics as PyTorch does; evaluation uses them', async () => {
    const device = await testDevice();
    const shape = [4, 3, 5, 5];
    const bn = nn.batchNorm2d(3, { momentum: 0.25 });
    bn.weight!.assign(Float32Array.from(BN_WEIGHT));
    bn.bias!.assign(Float32Array.from(BN_BIAS));
    const g = new Graph();
    const x = g.input('x', shape);
    const y = bn.forward(x, { training: true });
    const step = await Program.compile(device, g, { outputs: [y] });
    let mean = [0, 0, 0];
    let variance = [1, 1, 1];
    const batches = [randomArray(300, 1, 0, 4), randomArray(300, 2, -2, 1)];
    for (const [k, batch] of batches.entries()) {
      step.run({ x: batch });
      const stats = channelStats(batch, shape);
      mean = mean.map((m, c) => 0.75 * m + 0.25 * stats.mean[c]!);
      variance = variance.map((v, c) => 0.75 * v + 0.25 * stats.variance[c]!);
      expectClose(await bn.runningMean!.read(), mean, `running_mean after step ${k + 1}`, 1e-5, 1e-6);
      expectClose(await bn.runningVar!.read(), variance, `running_var after step ${k + 1}`, 1e-5, 1e-6);
      const expected = evaluateCpu([y], new Map<Tensor, Float64Array>([[x, Float64Array.from(batch)], ...bnLeaves(g, bn)])).get(y)!.data;
      expectClose(await step.read(y), expected, `training output of step ${k + 1}`, 1e-4, 1e-5);
    }
    expect([...(await bn.numBatchesTracked!.read())]).to.deep.equal([2]);

    const e = new Graph();
    const ex = e.input('x', shape);
    const ey = bn.forward(ex, { training: false });
    const evaluation = await Program.compile(device, e, { outputs: [ey] });
    const input = randomArray(300, 3);
    evaluation.run({ x: input });
    const want = Array.from(input, (v, i) => {
      const c = Math.floor(i / 25) % 3;
      return ((v - mean[c]!) / Math.sqrt(variance[c]! + 1e-5)) * BN_WEIGHT[c]! + BN_BIAS[c]!;
    });
    expectClose(await evaluation.read(ey), want, 'evaluation output', 1e-4, 1e-5);
    expect([...(await bn.numBatchesTracked!.read())], 'evaluation does not count batches').to.deep.equal([2]);
  });

  it('a conv net with BatchNorm2d and global average pooling trains in the compiled trainer and in the eager style', async () => {
    const device = await testDevice();
    kiln.manualSeed(3);
    // Two classes of noisy 8x8 images: horizontal stripes or vertical ones (what a 3x3 conv sees and
    // global pooling keeps; not where things are, which global pooling discards).
    const n = 64;
    const features = new Float32Array(n * 64);
    const labels = new Int32Array(n);
    const noise = randomArray(n * 64, 4, 0, 0.5);
    for (let i = 0; i < n; i++) {
      labels[i] = i % 2;
      for (let p = 0; p < 64; p++) {
        const [r, c] = [Math.floor(p / 8), p % 8];
        const bright = labels[i] === 0 ? r % 2 === 0 : c % 2 === 0;
        features[i * 64 + p] = noise[i * 64 + p]! + (bright ? 1 : 0);
      }
    }
    const makeNet = (bn = nn.batchNorm2d(4)) =>
      nn.sequential({
        conv: nn.conv2d(1, 4, 3, { padding: 1 }),
        bn,
        relu: nn.relu(),
        pool: nn.avgPool2d(2),
        gap: nn.adaptiveAvgPool2d(1),
        flatten: nn.flatten(),
        fc: nn.linear(4, 2),
      });
    const model = makeNet();
    const data = new Dataset({ name: 'squares', features, featureShape: [1, 8, 8], targets: labels, classes: 2 });
    const trainer = new Trainer(device, { model, loss: losses.crossEntropy, optimizer: optim.sgd({ lr: 0.2, momentum: 0.9 }), batchSize: 16 });
    const history = await trainer.fit(data, { epochs: 6 });
    const result = await trainer.evaluate(data);
    console.log(`      compiled: epoch losses ${history.map((h) => h.loss.toFixed(3)).join(', ')}; accuracy in evaluation mode ${result.accuracy!.toFixed(3)}`);
    expect(history[history.length - 1]!.loss).to.be.below(history[0]!.loss);
    expect(result.accuracy).to.be.above(0.9);

    kiln.manualSeed(3);
    const bn = nn.batchNorm2d(4);
    const eager = makeNet(bn);
    const optimizer = optim.sgd(eager.parameters(), { lr: 0.2, momentum: 0.9 });
    const x = kiln.tensor(features, { shape: [n, 1, 8, 8] });
    const y = kiln.tensor(labels, { shape: [n], dtype: 'i32' });
    const eagerLosses: number[] = [];
    for (let i = 0; i < 20; i++) {
      optimizer.zeroGrad();
      const l = kiln.functional.crossEntropy(eager.call(x), y);
      l.backward();
      optimizer.step();
      eagerLosses.push(await l.item());
    }
    expect(eagerLosses[19]).to.be.below(eagerLosses[0]!);
    expect([...(await bn.numBatchesTracked!.read())]).to.deep.equal([20]);
  });
});

/** The BatchNorm layer's variables as the graph holds them, with their current values (for evaluateCpu). */
function bnLeaves(g: Graph, bn: nn.BatchNorm2d): [Tensor, Float64Array][] {
  const leaves: [Tensor, Float64Array][] = [];
  for (const node of g.nodes) {
    if (node.kind !== 'variable' || !node.variable) continue;
    const v = node.variable;
    if (v === bn.weight) leaves.push([node, Float64Array.from(BN_WEIGHT)]);
    if (v === bn.bias) leaves.push([node, Float64Array.from(BN_BIAS)]);
  }
  return leaves;
}

describe('nn.MultiheadAttention', () => {
  it("has torch.nn.MultiheadAttention's parameter names and shapes", () => {
    const mha = nn.multiheadAttention(8, 2);
    expect(mha.namedParameters().map(([n, v]) => `${n}[${v.shape.join(',')}]`)).to.deep.equal([
      'in_proj_weight[24,8]',
      'in_proj_bias[24]',
      'out_proj.weight[8,8]',
      'out_proj.bias[8]',
    ]);
    expect(() => nn.multiheadAttention(8, 3)).to.throw('multihead_attention: 8 features do not split into 3 heads');
    expect(() => mha.forward(new Graph().input('x', [4, 2, 6]), { training: true })).to.throw(
      'multihead_attention: input must be [T, B, E] with E = 8, got [4,2,6]',
    );
  });

  it('causal self-attention: output and every gradient match float64; [T, B, E] and batch-first agree', async () => {
    const device = await testDevice();
    kiln.manualSeed(5);
    const [t, b, e] = [5, 2, 8];
    const mha = nn.multiheadAttention(e, 2, { causal: true });
    mha.in_proj_bias!.assign(randomArray(3 * e, 6, -0.2, 0.2));
    const g = new Graph();
    const x = g.input('x', [t, b, e]);
    const y = mha.forward(x, { training: true });
    const params = mha.namedParameters();
    const nodes = params.map(([, v]) => g.variable(v));
    const weights = g.constant(randomArray(t * b * e, 7), [t, b, e], 'w');
    const l = g.sum(g.mul(y, weights));
    const grads = g.grad(l, [x, ...nodes]);
    const program = await Program.compile(device, g, { outputs: [y, ...grads] });
    const input = randomArray(t * b * e, 8);
    program.run({ x: input });
    const leaves = new Map<Tensor, Float64Array>([[x, Float64Array.from(input)]]);
    for (const [k, [, v]] of params.entries()) leaves.set(nodes[k]!, Float64Array.from(await v.read()));
    const reference = evaluateCpu([y, ...grads], leaves);
    expectClose(await program.read(y), reference.get(y)!.data, 'output', 1e-4, 1e-5);
    for (const [k, grad] of grads.entries()) {
      const cpu = reference.get(grad)!.data;
      const scale = Math.max(...cpu.map(Math.abs));
      const gpu = await program.read(grad);
      const worst = Math.max(...cpu.map((v, i) => Math.abs(gpu[i]! - v)));
      expect(worst / scale, `gradient ${k === 0 ? 'x' : params[k - 1]![0]}`).to.be.below(1e-4);
    }
    // Position 0 sees only itself: changing later positions leaves its output alone.
    const later = Float32Array.from(input, (v, i) => (i >= b * e ? v + 1 : v));
    program.run({ x: later });
    expectClose((await program.read(y)).subarray(0, b * e), reference.get(y)!.data.subarray(0, b * e), 'position 0 with later positions changed', 1e-5, 1e-6);

    const first = nn.multiheadAttention(e, 2, { causal: true, batchFirst: true });
    for (const [k, [, v]] of first.namedParameters().entries()) v.assign(await params[k]![1].read());
    const h = new Graph();
    const xb = h.input('x', [b, t, e]);
    const yb = first.forward(xb, { training: true });
    const batchFirst = await Program.compile(device, h, { outputs: [yb] });
    const transposed = new Float32Array(t * b * e);
    for (let i = 0; i < t; i++) for (let j = 0; j < b; j++) for (let c = 0; c < e; c++) transposed[(j * t + i) * e + c] = input[(i * b + j) * e + c]!;
    batchFirst.run({ x: transposed });
    const out = await batchFirst.read(yb);
    const expected = reference.get(y)!.data;
    const back = new Float64Array(t * b * e);
    for (let i = 0; i < t; i++) for (let j = 0; j < b; j++) for (let c = 0; c < e; c++) back[(j * t + i) * e + c] = expected[(i * b + j) * e + c]!;
    expectClose(out, back, 'batch-first output', 1e-4, 1e-5);
  });
});

describe('joining, splitting and masking', () => {
  it('split, chunk and concat on graphs: pieces as torch.split, concat their inverse, shapes checked', async () => {
    const device = await testDevice();
    const g = new Graph();
    const x = g.input('x', [2, 7]);
    const pieces = g.split(x, 3, 1);
    expect(pieces.map((p) => p.shape)).to.deep.equal([
      [2, 3],
      [2, 3],
      [2, 1],
    ]);
    expect(g.chunk(x, 2, -1).map((p) => p.shape[1])).to.deep.equal([4, 3]);
    const back = g.concat([pieces[2]!, pieces[0]!, pieces[1]!], 1);
    const program = await Program.compile(device, g, { outputs: [back] });
    program.run({ x: Float32Array.from({ length: 14 }, (_, i) => i) });
    expect([...(await program.read(back))]).to.deep.equal([6, 0, 1, 2, 3, 4, 5, 13, 7, 8, 9, 10, 11, 12]);
    expect(() => g.split(x, [3, 3], 1)).to.throw('split: piece sizes [3, 3] add up to 6, but axis 1 has 7 elements');
    expect(() => g.concat([x, g.input('y', [3, 7])], 1)).to.throw("concat: tensor 1 has shape [3,7], which does not match tensor 0's [2,7] off axis 1");
  });

  it('eager: cat, split, chunk, where and maskedFill, with gradients', async () => {
    const a = kiln.tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { requiresGrad: true },
    );
    const b = kiln.tensor([[5], [6]], { requiresGrad: true });
    const joined = kiln.functional.cat([a, b], 1);
    expect(await joined.tolist()).to.deep.equal([
      [1, 2, 5],
      [3, 4, 6],
    ]);
    const [left, right] = joined.split([1, 2], 1);
    expect(await right!.tolist()).to.deep.equal([
      [2, 5],
      [4, 6],
    ]);
    expect(await Promise.all(joined.chunk(3, 1).map((t) => t.tolist()))).to.deep.equal([
      [[1], [3]],
      [[2], [4]],
      [[5], [6]],
    ]);
    const mask = a.gt(2);
    const picked = kiln.functional.where(mask, a, 0);
    expect(await picked.tolist()).to.deep.equal([
      [0, 0],
      [3, 4],
    ]);
    const filled = a.maskedFill(mask, -1);
    expect(await filled.tolist()).to.deep.equal([
      [1, 2],
      [-1, -1],
    ]);
    left!.sum().add(right!.mul(2).sum()).add(picked.sum()).backward();
    expect(await a.grad!.tolist()).to.deep.equal([
      [1, 2],
      [2, 3],
    ]);
    expect(await b.grad!.tolist()).to.deep.equal([[2], [2]]);
  });
});
