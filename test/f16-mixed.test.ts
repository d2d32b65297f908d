// f16 storage and precision 'f16-mixed': the host's f16 rounding and decoding, casts on the GPU,
// matmul over f16 operands in every generated form (odd shapes, all layouts, mixed operand types)
// against the float64 reference, the refusals that keep f16 words from being read as f32, the
// gradients of an autocast graph against f32 ones, and MNIST trained in f16-mixed beside f32.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { evaluateCpu, Graph, grad, manualSeed, Program, Variable, type Device, type SymbolicTensor as Tensor } from '../src/node';
import { readIdxFolder } from '../src/cli/files';
import { decodeF16, f16FromBits, roundToF16 } from '../src/graph/half';
import { bytesOf } from '../src/graph/shape';
import { cast } from '../src/ops/cast';
import { matmul } from '../src/ops/matmul';
import { formName, formNeeds, KSPLIT_FORMS, TILED_FORMS } from '../src/ops/gemm/forms';
import { F16_DEFAULT_FORM } from '../src/ops/gemm/variants';
import { setupCharlm } from '../src/train/recipes/charlm';
import { MNIST_NETS, mnistDataset, setupMnist } from '../src/train/recipes/mnist';
import { testDevice } from './helpers/device';
import { LAYOUTS, layoutName, type Layout } from './helpers/gemm-layouts';
import { expectClose, randomArray } from './helpers/numeric';

describe('f16 on the host', () => {
  it('rounds to the nearest f16, ties to even, with subnormals and the overflow threshold', () => {
    expect(roundToF16(1)).to.equal(1);
    expect(roundToF16(1 / 3)).to.equal(0.333251953125);
    expect(roundToF16(65504)).to.equal(65504);
    expect(roundToF16(65519)).to.equal(65504);
    expect(roundToF16(65520)).to.equal(Infinity);
    expect(roundToF16(-1e6)).to.equal(-Infinity);
    // [2048, 4096) has spacing 2: 2049 ties to the even 2048, 2051 to 2052.
    expect(roundToF16(2049)).to.equal(2048);
    expect(roundToF16(2051)).to.equal(2052);
    // Subnormals are multiples of 2^-24; half of that rounds to the even 0.
    expect(roundToF16(1e-7)).to.equal(2 * 2 ** -24);
    expect(roundToF16(2 ** -25)).to.equal(0);
    expect(roundToF16(3 * 2 ** -25)).to.equal(2 * 2 ** -24);
    expect(roundToF16(-0.1)).to.equal(-0.0999755859375);
    expect(Number.isNaN(roundToF16(NaN))).to.equal(true);
  });

  it('decodes f16 bits and words, element 2i in the low half', () => {
    expect(f16FromBits(0x3c00)).to.equal(1);
    expect(f16FromBits(0x7bff)).to.equal(65504);
    expect(f16FromBits(0x0001)).to.equal(2 ** -24);
    expect(f16FromBits(0xfc00)).to.equal(-Infinity);
    expect(f16FromBits(0xc000)).to.equal(-2);
    const words = Uint32Array.of(0xc0003c00, 0x00007bff);
    expect([...decodeF16(words.buffer, 3)]).to.deep.equal([1, -2, 65504]);
    expect(bytesOf('f16', 3)).to.equal(8);
    expect(bytesOf('f16', 4)).to.equal(8);
  });

  it('f16 has no host data: Variables, inputs and constants of it are refused by name', () => {
    expect(() => new Variable('w', [2], 'f16')).to.throw(/variable w: f16 tensors have no host data/);
    expect(() => new Graph().input('x', [2], 'f16')).to.throw(/input x: f16 inputs are not supported/);
  });

  it('only casts and matmul take f16 inputs; any other op names the tensor', () => {
    const g = new Graph();
    const x = g.input('x', [4, 3]);
    const half = cast(x, 'f16');
    expect(half.dtype).to.equal('f16');
    expect(() => g.add(half, half)).to.throw(/add: input .* is f16, which only casts and matmul read; cast it to f32 first/);
    expect(() => g.relu(half)).to.throw(/relu: input .* is f16/);
    expect(() => cast(half, 'i32')).to.throw(/cast: f16\[4,3\] to i32 is not supported; go through f32/);
    expect(matmul(half, half, { transposeB: true }).dtype).to.equal('f32');
    // Under autocast an operand of another dtype is not cast: matmul names it.
    expect(() => g.autocast('f16', () => matmul(g.input('i', [3, 4], 'i32'), x))).to.throw(/matmul: operands must be f32 or f16, got i32\[3,4\]/);
  });
});

describe('f16 on the GPU', () => {
  let device: Device;
  before(async () => {
    device = await testDevice();
  });

  it('casts f32 to f16 and back as the host rounds, odd counts included', async () => {
    // Spread over f16's range: magnitudes from subnormal to large, both signs, an odd count.
    const n = 1001;
    const values = Float32Array.from({ length: n }, (_, i) => (i % 2 ? -1 : 1) * Math.fround(2 ** ((i % 41) - 26) * (1 + ((i * 37) % 1000) / 1000)));
    const g = new Graph();
    const x = g.input('x', [n]);
    const half = cast(x, 'f16');
    const back = cast(half, 'f32');
    const program = await Program.compile(device, g, { outputs: [half, back] });
    program.run({ x: values });
    const read = await program.read(half);
    const again = await program.read(back);
    let exact = 0;
    for (let i = 0; i < n; i++) {
      const want = roundToF16(values[i]!);
      // WGSL lets pack2x16float round to either neighbouring f16: at most one spacing off the nearest.
      const spacing = 2 ** (Math.max(Math.floor(Math.log2(Math.abs(values[i]!))), -14) - 10);
      expect(Math.abs(read[i]! - want), `element ${i}: ${values[i]} became ${read[i]}, nearest f16 ${want}`).to.be.at.most(spacing);
      if (read[i] === want) exact++;
      expect(again[i], `element ${i} back to f32`).to.equal(read[i]);
    }
    console.log(`      ${exact} of ${n} casts equal the nearest f16 on ${device.adapter.backend}`);
  });

  /** [m, k, n]: no multiple of any tile, size-1 dimensions, K odd (f16 pairs straddle rows) and long. */
  const SHAPES: readonly [number, number, number][] = [
    [37, 53, 29],
    [1, 7, 1],
    [5, 301, 3],
  ];

  async function product(form: string | undefined, [m, k, n]: [number, number, number], layout: Layout, halves: 'ab' | 'a' | 'b') {
    const g = new Graph();
    const a = g.input('a', layout.transposeA ? [k, m] : [m, k]);
    const b = g.input('b', layout.transposeB ? [n, k] : [k, n]);
    const bias = g.input('bias', [n]);
    const x = halves.includes('a') ? cast(a, 'f16') : a;
    const y = halves.includes('b') ? cast(b, 'f16') : b;
    const out = g.relu(g.add(matmul(x, y, layout), bias));
    const feeds = { a: randomArray(m * k, 1), b: randomArray(k * n, 2), bias: randomArray(n, 3) };
    const saved = device.tuning;
    device.tuning = form === undefined ? saved : { ...saved, force: form };
    try {
      const program = await Program.compile(device, g, { outputs: [out] });
      program.run(feeds);
      const gpu = await program.read(out);
      const inputs = new Map<Tensor, Float32Array>([
        [a, feeds.a],
        [b, feeds.b],
        [bias, feeds.bias],
      ]);
      // The reference rounds the f16 operands as the host does; the GPU may round a tie the other way.
      const cpu = evaluateCpu([out], inputs).get(out)!;
      expectClose(gpu, cpu.data, `${form ?? 'default'} ${layoutName(layout)} [${m},${k},${n}] f16 ${halves} on ${device.adapter.backend}`, 2e-3, 2e-3);
      return program.kernels.find((kernel) => kernel.label.startsWith('matmul'));
    } finally {
      device.tuning = saved;
    }
  }

  it('matmul over f16 operands: its default form runs everywhere, all four layouts, either operand or both f16, with the epilogue fused', async () => {
    for (const shape of SHAPES)
      for (const layout of LAYOUTS)
        for (const halves of ['ab', 'a', 'b'] as const) {
          const kernel = await product(undefined, shape, layout, halves);
          expect(kernel?.variant).to.equal(formName(F16_DEFAULT_FORM));
          expect(kernel?.label).to.include('bias').and.include('relu');
        }
  });

  it('matmul over f16 operands: each generated form, forced, matches the reference', async () => {
    const limit = device.limits['maxComputeInvocationsPerWorkgroup'] ?? 256;
    // SwiftShader compiles slowly: there one shape and layout per form; llvmpipe runs two layouts.
    const layouts = device.adapter.backend === 'swiftshader' ? [LAYOUTS[3]] : [LAYOUTS[0], LAYOUTS[3]];
    for (const form of [...TILED_FORMS, ...KSPLIT_FORMS]) {
      if (formNeeds(form).invocations > limit) continue;
      for (const layout of layouts) {
        const kernel = await product(formName(form), form.kind === 'ksplit' ? SHAPES[2]! : SHAPES[0]!, layout, 'ab');
        expect(kernel?.variant).to.equal(formName(form));
      }
    }
  });

  it("an autocast graph's gradients are f32 and match the f32 graph's to f16 precision; its products read f16 casts of f32 weights", async () => {
    const build = (autocast: 'f16' | null) => {
      const g = new Graph();
      const x = g.input('x', [16, 24]);
      const w1 = g.variable(new Variable('w1', [32, 24], 'f32', { trainable: true, data: randomArray(32 * 24, 5, -0.3, 0.3) }));
      const w2 = g.variable(new Variable('w2', [3, 32], 'f32', { trainable: true, data: randomArray(3 * 32, 6, -0.3, 0.3) }));
      const out = g.autocast(autocast, () => matmul(g.tanh(matmul(x, w1, { transposeB: true })), w2, { transposeB: true }));
      const loss = g.mean(g.square(out));
      return { g, loss, grads: grad(loss, [w1, w2]) };
    };
    const x = randomArray(16 * 24, 7);
    const run = async (autocast: 'f16' | null) => {
      const { g, loss, grads } = build(autocast);
      const program = await Program.compile(device, g, { outputs: [loss, ...grads] });
      program.run({ x });
      return { g, grads, values: await Promise.all([loss, ...grads].map((t) => program.read(t))) };
    };
    const mixed = await run('f16');
    const full = await run(null);
    const casts = mixed.g.nodes.filter((t) => t.op?.name === 'cast');
    expect(casts.map((t) => t.dtype)).to.deep.equal(['f16', 'f16', 'f16', 'f16']);
    expect(mixed.g.nodes.filter((t) => t.op?.name === 'matmul' && t.inputs.some((i) => i.dtype === 'f16')).length).to.be.at.least(2);
    expect(mixed.grads.map((t) => t.dtype)).to.deep.equal(['f32', 'f32']);
    mixed.values.forEach((v, i) => {
      const scale = Math.max(...full.values[i]!.map(Math.abs));
      expectClose(v, full.values[i]!, `output ${i} (f16-mixed against f32)`, 1e-2, 5e-3 * scale);
    });
  });

  it("MNIST's narrow net trained in f16-mixed: its losses follow f32's, and its test accuracy is as high", async () => {
    const files = await readIdxFolder(resolve('data/mnist'));
    const train = (await mnistDataset('mnist-train', files.trainImages, files.trainLabels)).take(3000);
    const test = (await mnistDataset('mnist-test', files.testImages, files.testLabels)).take(1000);
    const results = [];
    for (const precision of ['f32', 'f16-mixed'] as const) {
      manualSeed(0);
      const { trainer } = setupMnist(device, { net: MNIST_NETS.narrow, seed: 0, batchSize: 32, precision, deterministic: true });
      const history = await trainer.fit(train, { epochs: 1 });
      const evaluation = await trainer.evaluate(test, { batchSize: 500 });
      const program = await trainer.program('train', train, 32);
      results.push({
        precision,
        loss: history[0]!.loss,
        accuracy: evaluation.accuracy,
        halves: program.kernels.filter((k) => k.label.startsWith('matmul+f16')).length,
      });
    }
    console.log(`      ${results.map((r) => `${r.precision}: train loss ${r.loss.toFixed(4)}, test accuracy ${r.accuracy!.toFixed(4)}`).join('; ')}`);
    const [f32, mixed] = results as [(typeof results)[number], (typeof results)[number]];
    expect(f32.halves).to.equal(0);
    // fc1 and fc2: each forward, and each weight and input gradient (reading the saved f16 operand).
    expect(mixed.halves).to.equal(6);
    expect(Math.abs(mixed.loss - f32.loss)).to.be.below(0.05);
    expect(mixed.accuracy!).to.be.above(f32.accuracy! - 0.02);
    expect(mixed.accuracy!).to.be.above(0.8);
  });

  it("a tiny GPT trained in f16-mixed: every linear layer and the tied head read f16, and its losses follow f32's", async () => {
    const text = readFileSync('data/tinyshakespeare/input.txt', 'utf8');
    const small = { layers: 1, heads: 2, embd: 32, block: 16, batchSize: 4, iters: 40, lr: 1e-2, warmup: 5, minLr: 1e-3, deterministic: true };
    const runs = [];
    for (const precision of ['f32', 'f16-mixed'] as const) {
      const { trainer } = setupCharlm(device, text, { ...small, precision });
      const losses: number[] = [];
      const result = await trainer.fit(small.iters, { reportEvery: 10, evalEvery: 0, evalIters: 4, onProgress: (p) => void losses.push(p.loss) });
      const program = await trainer.program();
      runs.push({ precision, losses, val: result.final.val, halves: program.kernels.filter((k) => k.label.startsWith('matmul+f16')).length });
    }
    const [f32, mixed] = runs as [(typeof runs)[number], (typeof runs)[number]];
    console.log(`      ${runs.map((r) => `${r.precision}: losses ${r.losses.map((l) => l.toFixed(5)).join(', ')}; val ${r.val.toFixed(5)}`).join('; ')}`);
    expect(f32.halves).to.equal(0);
    // Four products per block (qkv, attention output, MLP in and out) and the head, each forward, input and weight gradient.
    expect(mixed.halves).to.be.at.least(12);
    mixed.losses.forEach((l, i) => expect(l, `report ${i}`).to.be.closeTo(f32.losses[i]!, 0.02));
    expect(mixed.val).to.be.closeTo(f32.val, 0.02);
    expect(mixed.losses.join()).to.not.equal(f32.losses.join());
  });
});
