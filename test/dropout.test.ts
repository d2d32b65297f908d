import { expect } from 'chai';
import { compile, Dataset, evaluateCpu, Graph, loss, manualSeed, nn, optim, Program, type SymbolicTensor as Tensor } from '../src/node';
import { dropoutOp, dropoutScale, type DropoutAttrs } from '../src/ops/dropout';
import philoxWgsl from '../shaders/philox.wgsl';
import { checkGradient } from './helpers/check-op';
import { testDevice } from './helpers/device';
import { expectClose, randomArray } from './helpers/numeric';

const KEY = { key0: 0x1234abcd, key1: 0x0badf00d };

/** Runs y = dropout(x, step) on the GPU; returns the GPU output and the float64 reference. */
async function runDropout(x: Float32Array, shape: number[], step: number, attrs: Partial<DropoutAttrs> & { p: number }) {
  const g = new Graph();
  const xs = g.input('x', shape);
  const s = g.input('step', [1], 'i32');
  const y = g.dropout(xs, s, { ...KEY, ...attrs });
  const program = await Program.compile(await testDevice(), g, { outputs: [y] });
  program.run({ x, step: Int32Array.of(step) });
  const gpu = (await program.read(y)) as Float32Array;
  const cpu = evaluateCpu(
    [y],
    new Map<Tensor, Float32Array | Int32Array>([
      [xs, x],
      [s, Int32Array.of(step)],
    ]),
  ).get(y)!.data;
  return { gpu, cpu };
}

const kept = (values: ArrayLike<number>): boolean[] => Array.from(values, (v) => v !== 0);

/** Values in [1, 2): never zero, so an output of zero means dropped. */
const nonzero = (n: number, seed = 1) => randomArray(n, seed, 1, 2);

describe('Philox4x32-10 in WGSL', () => {
  it('matches the Random123 known-answer vectors and the TypeScript generator', async () => {
    const device = await testDevice();
    const code = `${philoxWgsl}
@group(0) @binding(0) var<storage, read_write> out: array<vec4<u32>, 3>;
@compute @workgroup_size(1)
fn main() {
  out[0] = philox4x32(vec4<u32>(0u, 0u, 0u, 0u), vec2<u32>(0u, 0u));
  out[1] = philox4x32(vec4<u32>(0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu), vec2<u32>(0xffffffffu, 0xffffffffu));
  out[2] = philox4x32(vec4<u32>(0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u), vec2<u32>(0xa4093822u, 0x299f31d0u));
}`;
    const pipeline = await device.pipeline({ label: 'philox_kat', code });
    const buffer = device.createStorage('philox_kat', 48);
    const bindGroup = device.gpu.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer } }] });
    const encoder = device.gpu.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(1);
    pass.end();
    device.gpu.queue.submit([encoder.finish()]);
    const words = [...new Uint32Array(await device.read(buffer, 0, 48))].map((v) => v.toString(16).padStart(8, '0'));
    device.destroyBuffer(buffer);
    expect(words).to.deep.equal([
      ...['6627e8d5', 'e169c58d', 'bc57ac4c', '9b00dbd8'],
      ...['408f276d', '41c83b0e', 'a20bc7c6', '6d5451fd'],
      ...['d16cfe09', '94fdcceb', '5001e420', '24126ea1'],
    ]);
  });
});

describe('dropout', () => {
  it('the GPU mask equals the CPU reference exactly (p = 0.25, 0.5), keeps about 1 - p, scales by 1 / (1 - p)', async () => {
    const n = 5000;
    const x = nonzero(n);
    for (const p of [0.25, 0.5]) {
      for (const step of [0, 7, -3]) {
        const { gpu, cpu } = await runDropout(x, [50, 100], step, { p });
        expect(kept(gpu), `mask at p = ${p}, step ${step}`).to.deep.equal(kept(cpu));
        expectClose(gpu, cpu, `dropout p = ${p}`, 1e-6, 0);
        const count = kept(gpu).filter(Boolean).length;
        const sigma = Math.sqrt(n * p * (1 - p));
        expect(Math.abs(count - n * (1 - p)), `kept ${count} of ${n} at p = ${p}`).to.be.below(5 * sigma);
        const scale = Math.fround(1 / (1 - p));
        gpu.forEach((v, i) => {
          if (v !== 0) expect(v).to.equal(Math.fround(x[i]! * scale));
        });
      }
    }
  });

  it('different steps and keys give different masks', async () => {
    const x = nonzero(2000);
    const a = await runDropout(x, [2000], 1, { p: 0.5 });
    const b = await runDropout(x, [2000], 2, { p: 0.5 });
    const c = await runDropout(x, [2000], 1, { p: 0.5, key1: KEY.key1 + 1 });
    const agree = (u: Float32Array, v: Float32Array) => kept(u).filter((k, i) => k === (v[i] !== 0)).length / u.length;
    // Independent masks at p = 0.5 agree on about half the elements.
    expect(agree(a.gpu, b.gpu)).to.be.within(0.4, 0.6);
    expect(agree(a.gpu, c.gpu)).to.be.within(0.4, 0.6);
  });

  it('p = 0 keeps everything unchanged, p = 1 gives zeros', async () => {
    const x = randomArray(1000, 4);
    const none = await runDropout(x, [10, 100], 3, { p: 0 });
    expect([...none.gpu]).to.deep.equal([...x]);
    const all = await runDropout(x, [10, 100], 3, { p: 1 });
    expect(all.gpu.every((v) => v === 0)).to.equal(true);
    expect(all.cpu.every((v) => v === 0)).to.equal(true);
    expect(dropoutScale(1)).to.equal(0);
  });

  it('element and channel counts that are not a multiple of the 4 draws of a Philox block match the CPU reference', async () => {
    for (const [shape, channelSize] of [
      [[4999], 1],
      [[3], 1],
      [[1, 5, 3, 3], 9],
      [[2, 3, 7], 7],
    ] as [number[], number][]) {
      const size = shape.reduce((a, b) => a * b, 1);
      const { gpu, cpu } = await runDropout(nonzero(size, 3), [...shape], 2, { p: 0.5, channelSize });
      expect(kept(gpu), `mask of ${JSON.stringify(shape)}, channel ${channelSize}`).to.deep.equal(kept(cpu));
      expectClose(gpu, cpu, `dropout of ${JSON.stringify(shape)}`, 1e-6, 0);
    }
  });

  it('the per-element form (offered to tuning on hardware adapters), forced, writes the same mask and values', async () => {
    const device = await testDevice();
    const saved = device.tuning;
    device.tuning = { ...saved, force: 'elements' };
    try {
      for (const [shape, channelSize] of [
        [[4999], 1],
        [[2, 3, 7], 7],
        [[4, 6, 5, 7], 35],
      ] as [number[], number][]) {
        const size = shape.reduce((a, b) => a * b, 1);
        const x = nonzero(size, 5);
        const { gpu, cpu } = await runDropout(x, [...shape], 4, { p: 0.5, channelSize });
        expect(kept(gpu), `mask of ${JSON.stringify(shape)}, channel ${channelSize}`).to.deep.equal(kept(cpu));
        expectClose(gpu, cpu, `per-element dropout of ${JSON.stringify(shape)}`, 1e-6, 0);
      }
      const g = new Graph();
      const y = g.dropout(g.input('x', [8, 9]), g.input('step', [1], 'i32'), { ...KEY, p: 0.5 });
      const program = await Program.compile(device, g, { outputs: [y] });
      expect(program.kernels[0]!.variant).to.equal('elements');
      expect(program.kernels[0]!.workgroups[0]).to.equal(Math.ceil(72 / 64));
    } finally {
      device.tuning = saved;
    }
  });

  it('dropout2d zeroes whole channels (one draw per (n, c)), as the CPU reference', async () => {
    const [n, c, h, w] = [4, 6, 5, 7];
    const x = nonzero(n * c * h * w, 2);
    const { gpu, cpu } = await runDropout(x, [n, c, h, w], 5, { p: 0.5, channelSize: h * w });
    expect(kept(gpu)).to.deep.equal(kept(cpu));
    const channels = Array.from({ length: n * c }, (_, k) => kept(gpu.subarray(k * h * w, (k + 1) * h * w)));
    for (const channel of channels) expect(new Set(channel).size, 'a channel is either all kept or all dropped').to.equal(1);
    const keptChannels = channels.filter((ch) => ch[0]).length;
    expect(keptChannels).to.be.within(1, n * c - 1);
    // Through the layer: the channel size is H * W of the input.
    manualSeed(3);
    const layer = nn.dropout2d(0.5);
    const g = new Graph();
    const y = layer.forward(g.input('x', [n, c, h, w]), { training: true });
    expect((y.attrs as DropoutAttrs).channelSize).to.equal(h * w);
  });

  it('the gradient (dropout of dy with the same mask) matches finite differences', async () => {
    // The step is an i32 input, so checkGradient differentiates x only.
    for (const channelSize of [1, 4]) {
      await checkGradient(
        (g, x, step) => g.dropout(x, step!, { p: 0.3, ...KEY, channelSize }),
        [{ shape: [3, 4, 4] }, { shape: [1], data: Int32Array.of(9), dtype: 'i32' }],
      );
    }
  });

  it('the layer draws a new mask each step on the GPU, and the backward pass of a step uses its forward mask', async () => {
    const device = await testDevice();
    manualSeed(11);
    const layer = nn.dropout(0.5);
    const n = 3000;
    const g = new Graph();
    const x = g.input('x', [n]);
    const y = layer.forward(x, { training: true });
    const w = g.constant(randomArray(n, 5, 1, 2), [n], 'w');
    const [dx] = g.grad(g.sum(g.mul(y, w)), [x]);
    const program = await Program.compile(device, g, { outputs: [y, dx!] });
    const xs = nonzero(n, 6);
    const attrs: DropoutAttrs = { p: 0.5, key0: layer.key[0], key1: layer.key[1], channelSize: 1 };
    const masks: boolean[][] = [];
    for (let step = 0; step < 2; step++) {
      program.run(step === 0 ? { x: xs } : {});
      const ys = await program.read(y);
      const dxs = await program.read(dx!);
      // The mask of step `step`, from the CPU reference with the layer's key.
      const reference = dropoutOp.cpu(
        [
          { shape: [n], dtype: 'f32', data: Float64Array.from(xs) },
          { shape: [1], dtype: 'i32', data: Float64Array.of(step) },
        ],
        attrs,
        { shape: [n], dtype: 'f32' },
      );
      expect(kept(ys), `forward mask of step ${step}`).to.deep.equal(kept(reference.data));
      expect(kept(dxs), `backward mask of step ${step}`).to.deep.equal(kept(ys));
      dxs.forEach((v, i) => {
        if (v !== 0) expect(v).to.be.closeTo(2 * w.value![i]!, 1e-6);
      });
      masks.push(kept(ys));
    }
    expect(masks[0]).to.not.deep.equal(masks[1]);
    expect([...(await layer.step.read())]).to.deep.equal([2]);
    program.run({}, { steps: 3 });
    expect([...(await layer.step.read())]).to.deep.equal([5]);
  });

  it('the same seed gives the same keys and masks; evaluation mode is the identity', async () => {
    manualSeed(42);
    const a = nn.dropout(0.5);
    manualSeed(42);
    const b = nn.dropout(0.5);
    const c = nn.dropout(0.5);
    expect(a.key).to.deep.equal(b.key);
    expect(c.key).to.not.deep.equal(a.key);
    const device = await testDevice();
    const outputs: Float32Array[] = [];
    for (const layer of [a, b]) {
      const g = new Graph();
      const y = layer.forward(g.input('x', [1000]), { training: true });
      const program = await Program.compile(device, g, { outputs: [y] });
      program.run({ x: nonzero(1000, 8) });
      outputs.push((await program.read(y)) as Float32Array);
    }
    expect([...outputs[0]!]).to.deep.equal([...outputs[1]!]);

    const g = new Graph();
    const x = g.input('x', [2, 3, 4, 4]);
    const before = g.nodes.length;
    expect(a.forward(x, { training: false })).to.equal(x);
    expect(nn.dropout2d(0.25).forward(x, { training: false })).to.equal(x);
    expect(g.nodes.length, 'evaluation adds no node (no counter update)').to.equal(before);
  });

  it('the step counter is state, not a parameter, and training advances it once per step', async () => {
    manualSeed(0);
    const drop = nn.dropout(0.2);
    const model = nn.sequential({ fc1: nn.linear(4, 16), relu: nn.relu(), drop, fc2: nn.linear(16, 3) });
    expect(model.namedParameters().map(([name]) => name)).to.deep.equal(['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
    const features = randomArray(40 * 4, 12);
    const targets = Int32Array.from({ length: 40 }, (_, i) => i % 3);
    const data = new Dataset({ name: 'dropout-toy', features, featureShape: [4], targets, classes: 3 });
    const trainer = compile(await testDevice(), { model, loss: loss.crossEntropy, optimizer: optim.sgd({ lr: 0.1 }), batchSize: 8 });
    await trainer.fit(data, { epochs: 2 });
    expect([...(await drop.step.read())]).to.deep.equal([10]);
    const result = await trainer.evaluate(data, { batchSize: 40 });
    expect(Number.isFinite(result.loss)).to.equal(true);
    expect([...(await drop.step.read())], 'evaluation does not advance the counter').to.deep.equal([10]);
  });

  it('rejects a bad p, a bad step and a non-4-D input to dropout2d', () => {
    for (const p of [-0.1, 1.5, Number.NaN]) {
      expect(() => nn.dropout(p)).to.throw(RangeError, /dropout: p must be a probability in \[0, 1\], got/);
      expect(() => nn.dropout2d(p)).to.throw(RangeError, /dropout2d: p must be a probability in \[0, 1\]/);
    }
    const g = new Graph();
    const x = g.input('x', [4, 5]);
    const step = g.input('step', [1], 'i32');
    expect(() => g.dropout(x, step, { p: 2, ...KEY })).to.throw(RangeError, /dropout: p must be a probability in \[0, 1\], got 2/);
    expect(() => g.dropout(x, step, { p: 0.5, key0: -1, key1: 0 })).to.throw(RangeError, /key0 must be a u32/);
    expect(() => g.dropout(x, g.input('f', [1]), { p: 0.5, ...KEY })).to.throw(/dropout: the step must be an i32 tensor of shape \[1\], got f32\[1\]/);
    expect(() => g.dropout(x, step, { p: 0.5, ...KEY, channelSize: 3 })).to.throw(/dropout: channelSize 3 does not divide the 20 elements of \[4,5\]/);
    expect(() => nn.dropout2d().forward(x, { training: true })).to.throw(/dropout2d: input must be 4-D \[N,C,H,W\], got \[4,5\]/);
    // Fused attention applies the mask in its own kernels: the same checks, in both forms.
    const q = g.input('q', [2, 3, 4]);
    for (const fused of [true, false]) {
      expect(() => g.scaledDotProductAttention(q, q, q, { fused, dropout: { p: 1.5, ...KEY, step } })).to.throw(
        RangeError,
        /p must be a probability in \[0, 1\], got 1.5/,
      );
      expect(() => g.scaledDotProductAttention(q, q, q, { fused, dropout: { p: 0.5, key0: 0, key1: 2 ** 32, step } })).to.throw(
        RangeError,
        /key1 must be a u32/,
      );
    }
  });
});
