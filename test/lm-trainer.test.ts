// The language-model trainer: windows drawn on the GPU as the CPU reference draws them, the learning
// rate schedule written on the GPU, clipping by global norm, and a short run that learns.
import { expect } from 'chai';
import * as kiln from '../src/node';
import { Graph, Program } from '../src/node';
import { counterAdd } from '../src/ops/counter-add';
import { learningRateAt, lrSchedule } from '../src/ops/lr-schedule';
import { testDevice } from './helpers/device';
import { expectClose, randomArray } from './helpers/numeric';

describe('language-model training', () => {
  it('the schedule kernel writes warmup, cosine decay and the floor as learningRateAt() does', async () => {
    const device = await testDevice();
    const schedule: kiln.LrSchedule = { kind: 'cosine', lr: 1e-3, warmup: 5, minLr: 1e-4, decaySteps: 20 };
    const hyper = new kiln.Variable('hyper', [5], 'f32', { data: Float32Array.of(1, 0.9, 0.999, 1e-8, 0) });
    const iteration = new kiln.Variable('it', [1], 'i32');
    const g = new Graph();
    lrSchedule(g.variable(hyper), g.variable(iteration), schedule);
    counterAdd(g.variable(iteration), 1);
    const program = await Program.compile(device, g);
    for (let t = 0; t < 25; t++) {
      const [lr] = await program.runAndRead(hyper);
      // WGSL's cos() is only accurate to 2^-11 absolute (the spec's bound on [-π, π]).
      const tolerance = 1e-9 + 1e-6 * learningRateAt(schedule, t) + 0.5 * 2 ** -11 * (schedule.lr - (schedule.minLr ?? 0));
      expect(lr, `iteration ${t}`).to.be.closeTo(learningRateAt(schedule, t), tolerance);
    }
    expect(learningRateAt(schedule, 0)).to.be.closeTo(1e-3 / 6, 1e-12);
    expect(learningRateAt(schedule, 24)).to.equal(1e-4);
    expect(learningRateAt({ kind: 'step', lr: 1, gamma: 0.5, every: 10 }, 25)).to.equal(0.25);
  });

  it('clipGradNorm scales every gradient by min(1, maxNorm / global norm)', async () => {
    const device = await testDevice();
    const a = randomArray(6, 1, -3, 3);
    const b = randomArray(4, 2, -3, 3);
    const norm = Math.sqrt([...a, ...b].reduce((s, v) => s + v * v, 0));
    for (const maxNorm of [norm / 3, norm * 2]) {
      const g = new Graph();
      const [ga, gb] = [g.input('a', [2, 3]), g.input('b', [4])];
      const clipped = kiln.clipGradNorm([ga, gb], maxNorm);
      const program = await Program.compile(device, g, { outputs: [...clipped.grads, clipped.norm] });
      program.run({ a, b });
      const scale = Math.min(1, maxNorm / norm);
      expectClose(
        await program.read(clipped.grads[0]!),
        Float64Array.from(a, (v) => v * scale),
        'a',
        1e-5,
        1e-6,
      );
      expectClose(
        await program.read(clipped.grads[1]!),
        Float64Array.from(b, (v) => v * scale),
        'b',
        1e-5,
        1e-6,
      );
      expect((await program.read(clipped.norm))[0]).to.be.closeTo(norm, 1e-5 * norm);
    }
  });

  it('a tiny GPT learns a repeating text in one submit per report; the same seed, stopped, saved and resumed in a new trainer, gives the same losses', async () => {
    const device = await testDevice();
    const text = 'to be or not to be, that is the question. '.repeat(30);
    const vocab = [...new Set(text)].sort();
    const ids = Int32Array.from(text, (ch) => vocab.indexOf(ch));
    const split = Math.floor(ids.length * 0.9);
    const make = () => {
      kiln.manualSeed(3);
      const model = kiln.nn.gpt({ vocabSize: vocab.length, blockSize: 16, nLayer: 1, nHead: 2, nEmbd: 16 });
      const trainer = new kiln.LanguageModelTrainer(
        device,
        {
          model,
          optimizer: kiln.optim.adamw({ lr: 1e-2 }),
          batchSize: 8,
          blockSize: 16,
          schedule: { kind: 'cosine', lr: 1e-2, warmup: 5, minLr: 1e-3, decaySteps: 60 },
          gradClip: 1,
          seed: 1,
          deterministic: true,
        },
        { train: ids.subarray(0, split), val: ids.subarray(split) },
      );
      return { model, trainer };
    };
    const options = (losses: number[]) => ({ reportEvery: 20, evalEvery: 20, evalIters: 4, onProgress: (p: { loss: number }) => losses.push(p.loss) });
    const straight = make();
    const losses: number[] = [];
    const result = await straight.trainer.fit(60, options(losses));
    const uniform = Math.log(vocab.length);
    console.log(
      `      train losses per 20 iterations: ${losses.map((l) => l.toFixed(3)).join(', ')}; val ${result.final.val.toFixed(3)} (uniform ${uniform.toFixed(3)})`,
    );
    expect(result.final.val).to.be.below(0.5 * uniform);
    const weights = await straight.model.transformer.wte.weight.read();

    // The same seed, stopped after 20 iterations (shouldStop), its state saved and loaded into a new trainer.
    const first = make();
    const resumedLosses: number[] = [];
    let state: kiln.TrainingState | null = null;
    const stopped = await first.trainer
      .fit(60, { ...options(resumedLosses), shouldStop: () => true, onCheckpoint: async () => void (state = await first.trainer.saveState({ run: 'a' })) })
      .catch((e: unknown) => e);
    expect(stopped).to.be.instanceOf(kiln.LmTrainingStopped);
    expect((stopped as kiln.LmTrainingStopped).iteration).to.equal(20);
    const second = make();
    expect(() => second.trainer.loadState(state!, { run: 'b' }, 'saved')).to.throw(
      'saved: its settings differ from this run\'s: run: the checkpoint has "a", this run "b"',
    );
    expect(second.trainer.loadState(state!, { run: 'a' }, 'saved')).to.deep.equal({ iteration: 20 });
    const rest = await second.trainer.fit(40, options(resumedLosses));
    expect(resumedLosses).to.deep.equal(losses);
    expect(rest.final.val).to.equal(result.final.val);
    expect([...(await second.model.transformer.wte.weight.read())]).to.deep.equal([...weights]);
  });
});
