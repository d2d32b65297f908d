// Training loops written with lazy tensors, as the seed tutorials write them: the same numbers as the
// static program and a float64 replay, one compiled program per loop structure, one submit per
// iteration, and no growth of GPU memory over 10,000 iterations.
import { expect } from 'chai';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { countGpuCalls } from '../bench/count-calls';
import * as kiln from '../src/node';
import { SGD } from '../src/train/optim/sgd';
import { testDevice } from './helpers/device';
import { rng } from './helpers/numeric';

const xs = Float32Array.from({ length: 11 }, (_, i) => i + 1);
const ys = xs.map((x) => 2 * x + 3);
const LR = 0.01;
const EPOCHS = 1000;

/** The seed's linear regression with autograd, in PyTorch's words: its tensors and one epoch's step. */
function linreg(): { w: kiln.Tensor; b: kiln.Tensor; step: () => kiln.Tensor } {
  const x = kiln.tensor(xs);
  const y = kiln.tensor(ys);
  const w = kiln.tensor([0], { requiresGrad: true });
  const b = kiln.tensor([0], { requiresGrad: true });
  const step = () => {
    const loss = x.mul(w).add(b).sub(y).square().mean();
    loss.backward();
    kiln.noGrad(() => {
      w.sub_(w.grad!.mul(LR));
      b.sub_(b.grad!.mul(LR));
    });
    w.grad!.zero_();
    b.grad!.zero_();
    kiln.markStep();
    return loss;
  };
  return { w, b, step };
}

function eagerLinreg(epochs: number): { w: kiln.Tensor; b: kiln.Tensor; losses: kiln.Tensor[] } {
  const { w, b, step } = linreg();
  const losses = Array.from({ length: epochs }, step);
  return { w, b, losses };
}

/** 1000 x 2 features drawn as the seed does, with y = X [2, -3.4] + 4.2 + noise. */
function synthetic(n: number): { features: Float32Array; targets: Float32Array } {
  const next = rng(7);
  const features = Float32Array.from({ length: n * 2 }, () => 2 * next() - 1);
  const targets = Float32Array.from({ length: n }, (_, i) => 2 * features[2 * i]! - 3.4 * features[2 * i + 1]! + 4.2 + 0.01 * (next() - 0.5));
  return { features, targets };
}

describe('training with lazy tensors', function () {
  this.timeout(900_000);
  let device: kiln.Device;
  before(async () => {
    device = await testDevice();
    kiln.useDevice(device);
  });

  it('linear regression by autograd: the static program’s w and b to 1e-6, a float64 replay’s to 1e-3', async () => {
    const eager = eagerLinreg(EPOCHS);
    const [w, b] = [(await eager.w.data())[0]!, (await eager.b.data())[0]!];

    // The static graph: the same loss, grad(), and SGD's update kernels, 1000 steps in one submit.
    const g = new kiln.Graph();
    const x = g.input('x', [11]);
    const y = g.input('y', [11]);
    const wv = new kiln.Variable('w', [1], 'f32', { trainable: true });
    const bv = new kiln.Variable('b', [1], 'f32', { trainable: true });
    const [wn, bn] = [g.variable(wv), g.variable(bv)];
    const loss = g.mean(g.square(g.sub(g.add(g.mul(x, wn), bn), y)));
    new SGD({ lr: LR }).addUpdates(g, [wn, bn], g.grad(loss, [wn, bn]));
    const program = await kiln.Program.compile(device, g, { outputs: [loss] });
    program.run({ x: xs, y: ys }, { steps: EPOCHS });
    const [ws, bs] = [(await wv.read())[0]!, (await bv.read())[0]!];
    expect(Math.abs(w - ws)).to.be.below(1e-6 * Math.max(1, Math.abs(ws)));
    expect(Math.abs(b - bs)).to.be.below(1e-6 * Math.max(1, Math.abs(bs)));

    let [w64, b64] = [0, 0];
    for (let epoch = 0; epoch < EPOCHS; epoch++) {
      let [gw, gb] = [0, 0];
      for (let i = 0; i < 11; i++) {
        const e = w64 * xs[i]! + b64 - ys[i]!;
        gw += (2 * e * xs[i]!) / 11;
        gb += (2 * e) / 11;
      }
      w64 -= LR * gw;
      b64 -= LR * gb;
    }
    expect(w).to.be.closeTo(w64, 1e-3);
    expect(b).to.be.closeTo(b64, 1e-3);
    // Every step's loss was kept (a small value is read back with its step) and can be read now.
    const first = await eager.losses[0]!.item();
    expect(first).to.be.closeTo(ys.reduce((s, v) => s + v * v, 0) / 11, 1e-3);
  });

  it('nn.linear + optim.sgd over minibatches: one program per structure, 1 submit per iteration, nothing created', async () => {
    kiln.manualSeed(0);
    const { features, targets } = synthetic(1000);
    const model = kiln.nn.linear(2, 1);
    const optimizer = kiln.optim.sgd(model.parameters(), { lr: 0.2 });
    const batch = 64; // 15 full batches and a last one of 40
    const epoch = async (): Promise<number> => {
      let last = 0;
      for (let start = 0; start < 1000; start += batch) {
        const end = Math.min(start + batch, 1000);
        const x = kiln.tensor(features.subarray(2 * start, 2 * end), { shape: [end - start, 2] });
        const y = kiln.tensor(targets.subarray(start, end), { shape: [end - start, 1] });
        optimizer.zeroGrad();
        const loss = kiln.functional.mseLoss(model.call(x), y);
        loss.backward();
        optimizer.step();
        if (end === 1000) last = await loss.item();
      }
      return last;
    };
    await epoch(); // the first step (no gradient to zero yet), the full batches, the last batch
    const compiled = kiln.tensorStats().programsCompiled;
    await epoch(); // the first full batch now has gradients to zero: the steady structure again
    expect(kiln.tensorStats().programsCompiled).to.equal(compiled);
    const pipelines = device.stats.pipelinesCompiled;
    const calls = countGpuCalls(device);
    const loss = await epoch();
    const counts = calls.stop();
    expect(counts).to.deep.equal({ submits: 16, createBuffer: 0, createBindGroup: 0, mapAsync: 0 });
    expect(device.stats.pipelinesCompiled).to.equal(pipelines);
    expect(kiln.tensorStats().programsCompiled).to.equal(compiled);
    expect(loss).to.be.below(0.01);
    const w = await kiln.asTensor(model.weight).tolist();
    expect((w as number[][])[0]![0]).to.be.closeTo(2, 0.05);
    expect((w as number[][])[0]![1]).to.be.closeTo(-3.4, 0.05);
  });

  for (const kind of ['adam', 'adamw'] as const) {
    it(`optim.${kind} steps tensors as the compiled trainer’s ${kind} does (weight and bias)`, async () => {
      const data = synthetic(64);
      const make = () => {
        kiln.manualSeed(3);
        return kiln.nn.linear(2, 1);
      };
      // AdamW with a large decay, so that decaying the bias by mistake would show.
      const options = kind === 'adam' ? { lr: 0.05 } : { lr: 0.05, weightDecay: 0.5 };
      const eagerModel = make();
      const optimizer = kiln.optim[kind](eagerModel.parameters(), options);
      const x = kiln.tensor(data.features, { shape: [64, 2] });
      const y = kiln.tensor(data.targets, { shape: [64, 1] });
      for (let i = 0; i < 20; i++) {
        optimizer.zeroGrad();
        kiln.functional.mseLoss(eagerModel.call(x), y).backward();
        optimizer.step();
      }
      const staticModel = make();
      const trainer = kiln.compile(device, { model: staticModel, loss: kiln.loss.mse, optimizer: kiln.optim[kind](options), batchSize: 64 });
      await trainer.fit(new kiln.Dataset({ name: `${kind}-check`, features: data.features, featureShape: [2], targets: data.targets }), {
        epochs: 20,
        shuffle: false,
      });
      const eager = [...(await kiln.asTensor(eagerModel.weight).data()), ...(await kiln.asTensor(eagerModel.bias!).data())];
      const compiled = [...(await staticModel.weight.read()), ...(await staticModel.bias!.read())];
      // The same formula; the bias corrections are computed in float64 here and in f32 by the kernel.
      for (let i = 0; i < 3; i++) expect(eager[i]).to.be.closeTo(compiled[i]!, 1e-4 * Math.abs(compiled[i]!));
    });
  }

  it('10,000 iterations do not grow GPU memory', async () => {
    const { step } = linreg();
    for (let i = 0; i < 100; i++) step();
    await kiln.synchronize();
    const before = { ...device.stats };
    const programs = kiln.tensorStats().programsCompiled;
    let last = 0;
    for (let i = 0; i < 10_000; i++) {
      const loss = step();
      if (i % 500 === 499) last = await loss.item(); // also bounds the queue of recorded steps
    }
    await kiln.synchronize();
    expect(device.stats.bytesAllocated).to.be.at.most(before.bytesAllocated); // earlier tests' tensors may be freed meanwhile
    expect(device.stats.buffersCreated).to.equal(before.buffersCreated);
    expect(kiln.tensorStats().programsCompiled).to.equal(programs);
    expect(last).to.be.below(1e-6);
  });

  it('the storage of tensors nobody holds any more is freed (FinalizationRegistry)', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const tensors = 40;
    const freedBefore = kiln.tensorStats().storagesFreed;
    for (let i = 0; i < tensors; i++) {
      const t = kiln.zeros([10_000]); // updated in place: GPU storage of its own, 40 KB
      t.add_(i);
      expect(await t.sum().item()).to.equal(10_000 * i);
    }
    await kiln.synchronize();
    // Counted, not measured against a peak: a collection during the loop may free some already.
    // All but the last few: the loop's last tensor may still be held by the function's frame.
    const freedAtLeast = Math.ceil(0.9 * tensors);
    const freed = (): number => kiln.tensorStats().storagesFreed - freedBefore;
    for (let round = 0; round < 20 && freed() < freedAtLeast; round++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(freed()).to.be.at.least(freedAtLeast);
  });
});
