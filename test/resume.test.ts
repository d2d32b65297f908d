// Training that survives: a run stopped at an epoch's end or in the middle of one, then resumed from
// its training checkpoint by a fresh model and trainer, gives bit-identical losses and weights to the
// uninterrupted run (SGD with momentum and Adam, with shuffling and dropout on). A checkpoint of
// another net, another optimizer, other settings or a damaged file is refused, naming the mismatch.
import { expect } from 'chai';
import { compile, Dataset, loss, manualSeed, nn, optim, TrainingStopped, type Optimizer, type TrainingState } from '../src/node';
import type { Device } from '../src/device/device';
import type { Trainer } from '../src/train/trainer';
import { decodeTrainingFile } from '../src/train/training-state';
import { testDevice } from './helpers/device';

const EXAMPLES = 200; // batch 32: 6 full steps and a tail of 8 per epoch
const features = Float32Array.from({ length: EXAMPLES * 16 }, (_, i) => Math.sin(i * 0.37) + Math.cos(i * 0.11));
const labels = Int32Array.from({ length: EXAMPLES }, (_, i) => (features[16 * i]! + features[16 * i + 5]! > 0 ? 1 : 0) + (features[16 * i + 9]! > 0.5 ? 2 : 0));
const data = () => new Dataset({ name: 'synthetic', features, featureShape: [16], targets: labels, classes: 4 });
const net = () => nn.sequential({ fc1: nn.linear(16, 32), relu: nn.relu(), drop: nn.dropout(0.3), fc2: nn.linear(32, 4) });

async function setup(optimizer: () => Optimizer): Promise<{ trainer: Trainer; model: nn.Sequential }> {
  manualSeed(4);
  const model = net();
  const trainer = compile(await testDevice(), { model, loss: loss.crossEntropy, optimizer: optimizer(), batchSize: 32, seed: 9 });
  return { trainer, model };
}

const weights = async (model: nn.Sequential) => Promise.all(model.parameters().map(async (p) => Array.from(await p.read())));

for (const [label, optimizer] of [
  ['SGD with momentum', () => optim.sgd({ lr: 0.1, momentum: 0.9 })],
  ['Adam', () => optim.adam({ lr: 0.01 })],
] as const) {
  describe(`resume (${label})`, function () {
    this.timeout(300_000);

    it('from an epoch end and from the middle of an epoch gives the same losses and weights, to the bit', async () => {
      const straight = await setup(optimizer);
      const train = data();
      const uninterrupted = (await straight.trainer.fit(train, { epochs: 2, reportEvery: 2 })).map((r) => r.loss);
      const finalWeights = await weights(straight.model);

      // The same run again, keeping its checkpoints: after step 3 of epoch 1 and at each epoch's end.
      const saving = await setup(optimizer);
      const states: { at: { epoch: number; step: number }; state: TrainingState }[] = [];
      const again = await saving.trainer.fit(data(), {
        epochs: 2,
        reportEvery: 2,
        checkpointEvery: 3,
        onCheckpoint: (state, at) => void states.push({ state, at: { ...at } }),
      });
      expect(again.map((r) => r.loss)).to.deep.equal(uninterrupted);
      expect(states.map((s) => s.at)).to.deep.equal([
        { epoch: 0, step: 3 },
        { epoch: 1, step: 0 },
        { epoch: 1, step: 3 },
        { epoch: 2, step: 0 },
      ]);

      // After epoch 1: a fresh model and trainer load the state and train epoch 2.
      const fromEnd = await setup(optimizer);
      expect(fromEnd.trainer.loadState(states[1]!.state)).to.deep.equal({ epoch: 1, step: 0 });
      const endResumed = await fromEnd.trainer.fit(data(), { epochs: 1 });
      expect(endResumed.map((r) => [r.epoch, r.loss])).to.deep.equal([[2, uninterrupted[1]]]);
      expect(await weights(fromEnd.model)).to.deep.equal(finalWeights);

      // Mid-epoch 1: the rest of epoch 1 (same order, same running loss), then epoch 2.
      const fromMiddle = await setup(optimizer);
      expect(fromMiddle.trainer.loadState(states[0]!.state)).to.deep.equal({ epoch: 0, step: 3 });
      const midResumed = await fromMiddle.trainer.fit(data(), { epochs: 2 });
      expect(midResumed.map((r) => [r.epoch, r.loss])).to.deep.equal([
        [1, uninterrupted[0]],
        [2, uninterrupted[1]],
      ]);
      expect(await weights(fromMiddle.model)).to.deep.equal(finalWeights);
      console.log(
        `      ${label}: epoch losses ${uninterrupted.map((l) => l.toFixed(6)).join(', ')} uninterrupted; ${midResumed.map((r) => r.loss.toFixed(6)).join(', ')} resumed mid-epoch`,
      );
    });
  });
}

describe('resume: what is refused', function () {
  this.timeout(300_000);
  let state: TrainingState;

  before(async () => {
    const { trainer } = await setup(() => optim.sgd({ lr: 0.1, momentum: 0.9 }));
    await trainer.fit(data(), { epochs: 1 });
    state = await trainer.saveState({ net: 'mlp', lr: 0.1 });
  });

  it('another optimizer, other hyperparameters, another batch size or other settings', async () => {
    const adam = await setup(() => optim.adam());
    expect(() => adam.trainer.loadState(state, { net: 'mlp', lr: 0.1 })).to.throw(/made with the sgd optimizer, this run uses adam/);
    const slower = await setup(() => optim.sgd({ lr: 0.05, momentum: 0.9 }));
    expect(() => slower.trainer.loadState(state, { net: 'mlp', lr: 0.1 })).to.throw(/its sgd hyperparameters are \[0\.1.*\], this run's \[0\.05/);
    const same = await setup(() => optim.sgd({ lr: 0.1, momentum: 0.9 }));
    expect(() => same.trainer.loadState(state, { net: 'mlp', lr: 0.2 })).to.throw(
      /settings differ from this run's: lr: the checkpoint has 0\.1, this run 0\.2/,
    );
    const other = compile(await testDevice(), { model: net(), loss: loss.crossEntropy, optimizer: optim.sgd({ lr: 0.1, momentum: 0.9 }), batchSize: 16 });
    expect(() => other.loadState(state, { net: 'mlp', lr: 0.1 })).to.throw(/made with batch size 32, this run uses 16/);
  });

  it('another net, and a damaged file, leaving the model as it was', async () => {
    manualSeed(4);
    const wider = nn.sequential({ fc1: nn.linear(16, 64), relu: nn.relu(), drop: nn.dropout(0.3), fc2: nn.linear(64, 4) });
    const before = Array.from(await wider.parameters()[0]!.read());
    const trainer = compile(await testDevice(), { model: wider, loss: loss.crossEntropy, optimizer: optim.sgd({ lr: 0.1, momentum: 0.9 }), batchSize: 32 });
    expect(() => trainer.loadState(state, { net: 'mlp', lr: 0.1 })).to.throw(
      /optimizer\.fc1\.weight\.momentum_buffer is f32\[32,16\], this run's is f32\[64,16\]/,
    );
    expect(Array.from(await wider.parameters()[0]!.read())).to.deep.equal(before);
    const noDropout = compile(await testDevice(), {
      model: nn.sequential({ fc1: nn.linear(16, 32), relu: nn.relu(), fc2: nn.linear(32, 4) }),
      loss: loss.crossEntropy,
      optimizer: optim.sgd({ lr: 0.1, momentum: 0.9 }),
      batchSize: 32,
    });
    expect(() => noDropout.loadState(state, { net: 'mlp', lr: 0.1 })).to.throw(/unexpected dropout\.drop\.step/);
    const damaged = { model: state.model, training: state.training.slice(0, state.training.length - 10) };
    const fresh = await setup(() => optim.sgd({ lr: 0.1, momentum: 0.9 }));
    expect(() => fresh.trainer.loadState(damaged, { net: 'mlp', lr: 0.1 })).to.throw(/training\.safetensors: .*(truncated|bytes)/);
    expect(() => fresh.trainer.loadState({ model: state.model, training: state.model }, {})).to.throw(/not a Kiln training state/);
  });

  it('shouldStop() writes a checkpoint at the next group of steps and stops with TrainingStopped', async () => {
    const { trainer } = await setup(() => optim.sgd({ lr: 0.1, momentum: 0.9 }));
    let saved: { epoch: number; step: number } | null = null;
    let asked = 0;
    const error = await trainer
      .fit(data(), { epochs: 2, reportEvery: 2, shouldStop: () => ++asked >= 2, onCheckpoint: (_state, at) => void (saved = { ...at }) })
      .then(
        () => null,
        (e: Error) => e,
      );
    expect(error).to.be.instanceOf(TrainingStopped);
    expect(saved).to.deep.equal({ epoch: 0, step: 4 });
    expect(error!.message).to.equal('training stopped at epoch 1, step 4');
  });
});

describe('kernel forms: the same seed, the same numbers', function () {
  this.timeout(300_000);

  /** Runs `body` with the tuner told to pick `force` (as a tuning cache holding another choice would). */
  async function forcing<T>(device: Device, force: string | undefined, body: () => Promise<T>): Promise<T> {
    const saved = device.tuning;
    device.tuning = { ...saved, ...(force !== undefined ? { force } : {}) };
    try {
      return await body();
    } finally {
      device.tuning = saved;
    }
  }

  /** The forms the training program ran, and a plain form that differs where the default is a subgroup one. */
  async function forms(trainer: Trainer): Promise<string[]> {
    return Object.values(decodeTrainingFile((await trainer.saveState()).training, 'state').meta.kernels);
  }

  it('a checkpoint records the kernel forms and a resume runs them, whatever the tuner would pick now', async () => {
    const device = await testDevice();
    const probe = await setup(() => optim.sgd({ lr: 0.1, momentum: 0.9 }));
    await probe.trainer.fit(data(), { epochs: 1 });
    const defaults = await forms(probe.trainer);
    expect(defaults.length).to.be.above(0);
    const other = defaults[0]!.replace(/\.subgroup.*$/, '');
    // A run whose tuner picked `other`, checkpointed after epoch 1 and continued.
    const { first, state, second, recorded } = await forcing(device, other, async () => {
      const run = await setup(() => optim.sgd({ lr: 0.1, momentum: 0.9 }));
      const [a] = await run.trainer.fit(data(), { epochs: 1 });
      const saved = await run.trainer.saveState();
      const [b] = await run.trainer.fit(data(), { epochs: 1 });
      return { first: a!.loss, state: saved, second: b!.loss, recorded: await forms(run.trainer) };
    });
    expect(recorded).to.include(other);
    expect(first).to.be.a('number');
    // Resumed where the tuner would pick the defaults: it runs the checkpoint's forms instead.
    const resumed = await setup(() => optim.sgd({ lr: 0.1, momentum: 0.9 }));
    resumed.trainer.loadState(state);
    const [again] = await resumed.trainer.fit(data(), { epochs: 1 });
    expect(await forms(resumed.trainer)).to.deep.equal(recorded);
    expect(again!.loss).to.equal(second);
  });

  it('deterministic: true runs the default forms whatever the tuner would pick, so two runs are bit-identical', async () => {
    const device = await testDevice();
    const run = async (force: string | undefined) =>
      forcing(device, force, async () => {
        manualSeed(4);
        const model = net();
        const trainer = compile(device, { model, loss: loss.crossEntropy, optimizer: optim.adam({ lr: 0.01 }), batchSize: 32, seed: 9, deterministic: true });
        const losses = (await trainer.fit(data(), { epochs: 2 })).map((r) => r.loss);
        return { losses, forms: await forms(trainer), weights: await weights(model) };
      });
    const plain = await run(undefined);
    // Told to pick another form (a plain one where the default shares loads across a subgroup):
    const other = plain.forms[0]!.replace(/\.subgroup.*$/, '');
    const forced = await run(other);
    expect(forced).to.deep.equal(plain);
    // and without deterministic, that form is what runs.
    const tuned = await forcing(device, other, async () => {
      const trainer = compile(device, { model: net(), loss: loss.crossEntropy, optimizer: optim.adam({ lr: 0.01 }), batchSize: 32 });
      await trainer.fit(data(), { epochs: 1 });
      return forms(trainer);
    });
    expect(tuned).to.include(other);
  });
});
