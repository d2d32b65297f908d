// The GPT of nn.gpt (nanoGPT's model): one batch's loss and every gradient against the float64 CPU
// reference, and training in the eager style with AdamW.
import { expect } from 'chai';
import * as kiln from '../src/node';
import { evaluateCpu, Graph, Program, type SymbolicTensor as Tensor } from '../src/node';
import { testDevice } from './helpers/device';
import { rng } from './helpers/numeric';

const TINY = { vocabSize: 11, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 8 };

function tokens(n: number, seed: number, vocab: number): Int32Array {
  const next = rng(seed);
  return Int32Array.from({ length: n }, () => Math.floor(next() * vocab));
}

describe('GPT (nn.gpt, nanoGPT names)', () => {
  it("names its parameters as nanoGPT's state_dict", () => {
    kiln.manualSeed(0);
    const names = kiln.nn
      .gpt({ ...TINY, nLayer: 1 })
      .stateDict()
      .map(([name]) => name);
    expect(names).to.deep.equal([
      'transformer.wte.weight',
      'transformer.wpe.weight',
      'transformer.h.0.ln_1.weight',
      'transformer.h.0.ln_1.bias',
      'transformer.h.0.attn.c_attn.weight',
      'transformer.h.0.attn.c_attn.bias',
      'transformer.h.0.attn.c_proj.weight',
      'transformer.h.0.attn.c_proj.bias',
      'transformer.h.0.ln_2.weight',
      'transformer.h.0.ln_2.bias',
      'transformer.h.0.mlp.c_fc.weight',
      'transformer.h.0.mlp.c_fc.bias',
      'transformer.h.0.mlp.c_proj.weight',
      'transformer.h.0.mlp.c_proj.bias',
      'transformer.ln_f.weight',
      'transformer.ln_f.bias',
      'lm_head.weight',
    ]);
  });

  it('a 2-layer model: the loss of one batch and every gradient match float64 (reference and central differences)', async () => {
    const device = await testDevice();
    kiln.manualSeed(1);
    const model = kiln.nn.gpt(TINY);
    const [b, t] = [2, 6];
    const g = new Graph();
    const idx = g.input('idx', [b, t], 'i32');
    const targets = g.input('targets', [b, t], 'i32');
    const loss = g.crossEntropy(model.forward(idx, { training: true }), targets);
    const params = model.namedParameters();
    const nodes = params.map(([, v]) => g.variable(v));
    const grads = g.grad(loss, nodes);
    const program = await Program.compile(device, g, { outputs: [loss, ...grads] });
    const feeds = { idx: tokens(b * t, 5, TINY.vocabSize), targets: tokens(b * t, 6, TINY.vocabSize) };
    program.run(feeds);

    const leaves = new Map<Tensor, Float64Array>([
      [idx, Float64Array.from(feeds.idx)],
      [targets, Float64Array.from(feeds.targets)],
    ]);
    for (const [k, [, v]] of params.entries()) leaves.set(nodes[k]!, Float64Array.from(await v.read()));
    const reference = evaluateCpu([loss, ...grads], leaves);
    const gpuLoss = (await program.read(loss))[0]!;
    const cpuLoss = reference.get(loss)!.data[0]!;
    expect(Math.abs(gpuLoss - cpuLoss) / cpuLoss, 'loss').to.be.below(1e-5);
    // Near ln(11) at initialisation: the weights are N(0, 0.02).
    expect(cpuLoss).to.be.closeTo(Math.log(TINY.vocabSize), 0.05);

    const lossAt = (): number => evaluateCpu([loss], leaves).get(loss)!.data[0]!;
    const next = rng(9);
    for (const [k, [name]] of params.entries()) {
      const gpu = await program.read(grads[k]!);
      const cpu = reference.get(grads[k]!)!.data;
      const scale = Math.max(...cpu.map(Math.abs));
      const worst = Math.max(...cpu.map((e, i) => Math.abs(gpu[i]! - e)));
      expect(worst / scale, `${name}: GPU gradient against the float64 one`).to.be.below(1e-4);
      // The gradient rules themselves: three elements of each by central differences of the float64 loss.
      const x = leaves.get(nodes[k]!)!;
      for (let j = 0; j < 3; j++) {
        const i = Math.floor(next() * x.length);
        const saved = x[i]!;
        x[i] = saved + 1e-4;
        const up = lossAt();
        x[i] = saved - 1e-4;
        const down = lossAt();
        x[i] = saved;
        expect(Math.abs((up - down) / 2e-4 - cpu[i]!), `${name}[${i}] by central differences`).to.be.below(1e-6 + 1e-4 * scale);
      }
    }
  });

  // With dropout 0.2 the fused kernels regenerate the dropout op's mask: the same weights drop in both forms.
  for (const dropout of [0, 0.2]) {
    it(`fused attention (online softmax, recomputing backward) gives the composed form's loss and gradients (dropout ${dropout})`, async () => {
      const device = await testDevice();
      const [b, t] = [2, 8];
      const feeds = { idx: tokens(b * t, 11, TINY.vocabSize), targets: tokens(b * t, 12, TINY.vocabSize) };
      const run = async (fused: boolean) => {
        kiln.manualSeed(4);
        const model = kiln.nn.gpt({ ...TINY, dropout, fusedAttention: fused });
        const g = new Graph();
        const idx = g.input('idx', [b, t], 'i32');
        const targets = g.input('targets', [b, t], 'i32');
        const loss = g.crossEntropy(model.forward(idx, { training: true }), targets);
        const grads = g.grad(
          loss,
          model.parameters().map((v) => g.variable(v)),
        );
        expect(g.nodes.some((n) => n.op?.name === 'flash_attention')).to.equal(fused);
        const program = await Program.compile(device, g, { outputs: [loss, ...grads] });
        program.run(feeds);
        return Promise.all([loss, ...grads].map((x) => program.read(x)));
      };
      const [fused, composed] = [await run(true), await run(false)];
      for (const [k, values] of fused.entries()) {
        const scale = Math.max(...composed[k]!.map(Math.abs));
        const worst = Math.max(...values.map((v, i) => Math.abs(v - composed[k]![i]!)));
        expect(worst / scale, k === 0 ? 'loss' : `gradient ${k - 1}`).to.be.below(1e-5);
      }
    });
  }

  it('learns a repeating text in the eager style with AdamW, the same losses for the same seed', async () => {
    const text = 'the cat sat on the mat. '.repeat(8);
    const vocab = [...new Set(text)].sort();
    const ids = Int32Array.from(text, (ch) => vocab.indexOf(ch));
    const [b, t] = [4, 8];
    const run = async (): Promise<number[]> => {
      kiln.manualSeed(7);
      const model = kiln.nn.gpt({ vocabSize: vocab.length, blockSize: t, nLayer: 1, nHead: 2, nEmbd: 16 });
      const optimizer = kiln.optim.adamw(model.parameters(), { lr: 1e-2 });
      const losses: number[] = [];
      for (let step = 0; step < 30; step++) {
        const starts = Array.from({ length: b }, (_, i) => (step * 5 + i * 17) % (ids.length - t - 1));
        const x = kiln.tensor(Int32Array.from(starts.flatMap((s) => [...ids.subarray(s, s + t)])), { shape: [b, t], dtype: 'i32' });
        const y = kiln.tensor(Int32Array.from(starts.flatMap((s) => [...ids.subarray(s + 1, s + t + 1)])), { shape: [b, t], dtype: 'i32' });
        optimizer.zeroGrad();
        const loss = kiln.functional.crossEntropy(model.call(x), y);
        loss.backward();
        optimizer.step();
        if (step % 10 === 9) losses.push(await loss.item());
      }
      return losses;
    };
    const first = await run();
    console.log(`      losses every 10 steps: ${first.map((l) => l.toFixed(3)).join(', ')} (uniform: ${Math.log(vocab.length).toFixed(3)})`);
    expect(first[first.length - 1]).to.be.below(0.5 * Math.log(vocab.length));
    expect(await run()).to.deep.equal(first);
  });
});
