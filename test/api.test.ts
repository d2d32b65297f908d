// The API as users of PyTorch and TensorFlow.js expect it: datasets from plain numbers, random
// splits, predict(), modules that register their fields, dropout that leaves initialisation alone,
// and the host-side helpers for preparing data.
import { expect } from 'chai';
import {
  compile,
  data,
  Dataset,
  decodeSafetensors,
  Graph,
  loss,
  manualSeed,
  nn,
  optim,
  predict,
  predictClasses,
  Program,
  type SymbolicTensor as Tensor,
  type TrainingState,
} from '../src/node';
import { checkBindingSizes } from '../src/graph/binding-limit';
import { testDevice } from './helpers/device';

describe('Dataset from plain numbers', () => {
  it('takes Float64Array, number[] and nested arrays, and infers shapes from nesting', () => {
    const nested = new Dataset({
      name: 'nested',
      features: [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      targets: [[1], [2], [3]],
    });
    expect(nested.featureShape).to.deep.equal([2]);
    expect(nested.targetShape).to.deep.equal([1]);
    expect(nested.x.dtype).to.equal('f32');
    expect(Array.from(nested.features)).to.deep.equal([1, 2, 3, 4, 5, 6]);
    const flat = new Dataset({ name: 'flat', features: Float64Array.of(1, 2, 3, 4), featureShape: [2], targets: [0.5, 1.5] });
    expect(flat.count).to.equal(2);
    expect(flat.targets).to.be.instanceOf(Float32Array);
    const labels = new Dataset({ name: 'labels', features: [[0], [1], [2]], targets: [0, 2, 1], classes: 3 });
    expect(labels.targets).to.be.instanceOf(Int32Array);
    expect(labels.targetShape).to.deep.equal([]);
    const images = new Dataset({
      name: 'images',
      features: [
        [
          [1, 2],
          [3, 4],
        ],
        [
          [5, 6],
          [7, 8],
        ],
      ],
      targets: Int32Array.of(0, 1),
    });
    expect(images.featureShape).to.deep.equal([2, 2]);
  });

  it('refuses ragged input, non-finite values, non-integer labels and a missing shape, naming the problem', () => {
    expect(() => new Dataset({ name: 'r', features: [[1, 2], [3]], targets: [1, 2] })).to.throw(
      /r features\[1\]: ragged nested array: 1 entries where the first row at this depth has 2/,
    );
    expect(
      () =>
        new Dataset({
          name: 'deep',
          features: [
            [1, 2],
            [3, [4]],
          ],
          targets: [1, 2],
        }),
    ).to.throw(/deep features\[1\]\[1\]: ragged nested array: expected a number/);
    expect(() => new Dataset({ name: 'nan', features: [[1], [Number.NaN]], targets: [1, 2] })).to.throw(
      /nan features: value NaN at index 1 is not a finite number/,
    );
    expect(() => new Dataset({ name: 'l', features: [[1], [2]], targets: [0, 1.5], classes: 2 })).to.throw(
      /l targets: label 1.5 at index 1 is not a 32-bit integer/,
    );
    expect(() => new Dataset({ name: 'f', features: [1, 2, 3], targets: [1, 2, 3] })).to.throw(/f: featureShape is needed for flat features/);
  });

  it('split(fractions, seed): disjoint random parts that cover the data, the same for the same seed', () => {
    const all = new Dataset({
      name: 'all',
      features: Float32Array.from({ length: 10 }, (_, i) => i),
      featureShape: [1],
      targets: Float32Array.from({ length: 10 }, (_, i) => 10 * i),
    });
    const [train, valid] = all.split([0.8, 0.2], 7);
    expect([train!.count, valid!.count]).to.deep.equal([8, 2]);
    const values = [...train!.features, ...valid!.features].sort((a, b) => a - b);
    expect(values).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // Targets stay with their features.
    train!.features.forEach((v, i) => expect(train!.targets[i]).to.equal(10 * v));
    expect(Array.from(all.split([0.8, 0.2], 7)[1]!.features)).to.deep.equal(Array.from(valid!.features));
    expect(Array.from(all.split([0.8, 0.2], 8)[0]!.features)).to.not.deep.equal(Array.from(train!.features));
    const thirds = all.split([1 / 3, 1 / 3, 1 / 3], 0);
    expect(thirds.map((d) => d.count)).to.deep.equal([4, 3, 3]);
    expect(() => all.split([0.7, 0.5])).to.throw(/fractions add up to 1.2, more than 1/);
    expect(() => all.split([0.05, 0.5])).to.throw(/part 0 \(fraction 0.05\) of 10 examples would be empty/);
  });

  it('a dataset too large for one binding names the dataset and says what to do', () => {
    const big = new Dataset({ name: 'mnist-train', features: new Uint8Array(4 * 784), featureShape: [1, 28, 28], targets: Int32Array.of(0, 1, 2, 3) });
    const g = new Graph();
    const x = g.variable(big.x);
    expect(() => checkBindingSizes('train[64]', [x], { maxStorageBufferBindingSize: 1000 })).to.throw(
      /mnist-train\.x \[4,1,28,28\] needs 3,136 bytes, more than this adapter's maxStorageBufferBindingSize \(1,000\); the dataset 'mnist-train' \(4 examples\) is bound whole by the batch gather: train on parts that fit \(dataset\.take\(n\), dataset\.split/,
    );
  });
});

describe('predict', function () {
  this.timeout(300_000);

  it('gives outputs for one example or a batch, from numbers or a Dataset, compiled once per batch size', async () => {
    const device = await testDevice();
    manualSeed(0);
    const model = nn.linear(2, 3);
    const w = await model.weight.read();
    const b = await model.bias!.read();
    const expected = (x: number[]) => [0, 1, 2].map((o) => x[0]! * w[2 * o]! + x[1]! * w[2 * o + 1]! + b[o]!);
    const one = await predict(device, model, [[0.5, -1]]);
    expect(one.shape).to.deep.equal([1, 3]);
    expect(one.data).to.be.instanceOf(Float32Array);
    Array.from(one.data).forEach((v, i) => expect(v).to.be.closeTo(expected([0.5, -1])[i]!, 1e-5));
    const xs = Array.from({ length: 7 }, (_, i) => [i / 3, 1 - i]);
    const compiledBefore = device.stats.pipelinesCompiled;
    const buffersBefore = device.stats.buffersCreated;
    // batchSize 3 over 7 examples: batches of 3, 3 and 1, two programs.
    const batch = await predict(device, model, Float64Array.from(xs.flat()), { featureShape: [2], batchSize: 3 });
    expect(batch.shape).to.deep.equal([7, 3]);
    xs.forEach((x, r) => expected(x).forEach((v, o) => expect(batch.data[3 * r + o]).to.be.closeTo(v, 1e-5)));
    const buffersAfterFirst = device.stats.buffersCreated;
    const again = await predict(device, model, Float64Array.from(xs.flat()), { featureShape: [2], batchSize: 3 });
    expect(Array.from(again.data)).to.deep.equal(Array.from(batch.data));
    expect(device.stats.buffersCreated, 'a second call creates no buffer').to.equal(buffersAfterFirst);
    expect(buffersAfterFirst).to.be.above(buffersBefore);
    expect(device.stats.pipelinesCompiled).to.be.at.least(compiledBefore);
    const fromData = await predict(device, model, new Dataset({ name: 'd', features: xs, targets: xs.map(() => 0), classes: 3 }));
    expect(Array.from(fromData.data)).to.deep.equal(Array.from(batch.data));
    const refused = await predict(device, model, [1, 2, 3]).then(
      () => '',
      (e: Error) => e.message,
    );
    expect(refused).to.match(/featureShape is needed for flat input/);
  });

  it('trainer.predict defaults to the trained example shape; predictClasses is argmax on the GPU', async () => {
    const device = await testDevice();
    manualSeed(1);
    const features = Float32Array.from({ length: 40 }, (_, i) => ((i * 37) % 11) / 5 - 1);
    const targets = Int32Array.from({ length: 20 }, (_, i) => (features[2 * i]! > features[2 * i + 1]! ? 1 : 0));
    const train = new Dataset({ name: 'pairs', features, featureShape: [2], targets, classes: 2 });
    const model = nn.linear(2, 2);
    const trainer = compile(device, { model, loss: loss.crossEntropy, optimizer: optim.sgd({ lr: 0.5 }), batchSize: 20 });
    await trainer.fit(train, { epochs: 30, shuffle: false });
    const scores = await trainer.predict(features);
    expect(scores.shape).to.deep.equal([20, 2]);
    const classes = await trainer.predictClasses(features);
    expect(classes.data).to.be.instanceOf(Int32Array);
    expect(classes.shape).to.deep.equal([20]);
    classes.data.forEach((c, i) => expect(c).to.equal(scores.data[2 * i + 1]! > scores.data[2 * i]! ? 1 : 0));
    const single = await trainer.predictClasses(Float32Array.of(0.9, -0.9));
    expect(single.shape).to.deep.equal([1]);
    expect(single.data[0]).to.equal(1);
    const viaModule = await predictClasses(device, model, train);
    expect(Array.from(viaModule.data)).to.deep.equal(Array.from(classes.data));
  });
});

describe('typed reads', () => {
  it('read() returns the typed array of the dtype', async () => {
    const device = await testDevice();
    const g = new Graph();
    const x = g.input('x', [4]);
    const i = g.argmax(g.reshape(x, [2, 2]), 1);
    const program = await Program.compile(device, g, { outputs: [x, i] });
    program.run({ x: Float32Array.of(1, 2, 4, 3) });
    const values: Float32Array = await program.read(x);
    const indices: Int32Array = await program.read(i);
    expect(values).to.be.instanceOf(Float32Array);
    expect(Array.from(indices)).to.deep.equal([1, 0]);
    const weight: Float32Array = await nn.linear(2, 2).weight.read();
    expect(weight).to.be.instanceOf(Float32Array);
  });
});

describe('modules register their fields', () => {
  class TwoLayer extends nn.Module {
    fc1 = nn.linear(3, 4);
    act = nn.relu();
    heads = [nn.linear(4, 2), nn.linear(4, 2)];
    forward(x: Tensor): Tensor {
      const h = this.act.forward(this.fc1.forward(x, { training: false }), { training: false });
      return h.graph.add(this.heads[0]!.forward(h, { training: false }), this.heads[1]!.forward(h, { training: false }));
    }
  }

  it('fields holding modules, arrays of modules and trainable variables are parameters, with PyTorch names', () => {
    expect(new TwoLayer().namedParameters().map(([name]) => name)).to.deep.equal([
      'fc1.weight',
      'fc1.bias',
      'heads.0.weight',
      'heads.0.bias',
      'heads.1.weight',
      'heads.1.bias',
    ]);
    expect(
      nn
        .sequential({ conv1: nn.conv2d(1, 2, 3), drop: nn.dropout(0.5), fc: nn.linear(2, 2, { bias: false }) })
        .namedParameters()
        .map(([n]) => n),
    ).to.deep.equal(['conv1.weight', 'conv1.bias', 'fc.weight']);
  });

  it('a layer the module cannot see is an error at compile that names its parameter, not a silent non-update', async () => {
    const hidden = new Map([['fc', nn.linear(2, 1)]]);
    class Hiding extends nn.Module {
      readonly layers = hidden; // a Map is not registered
      forward(x: Tensor): Tensor {
        return this.layers.get('fc')!.forward(x, { training: true });
      }
    }
    const device = await testDevice();
    const train = new Dataset({
      name: 'line',
      features: [
        [1, 2],
        [3, 4],
      ],
      targets: [1, 2],
    });
    const trainer = compile(device, { model: new Hiding(), loss: loss.mse, optimizer: optim.sgd({ lr: 0.1 }), batchSize: 2 });
    let message = '';
    await trainer.fit(train).catch((e: Error) => (message = e.message));
    expect(message).to.match(/forward uses trainable variables 'weight' f32\[1,2\], 'bias' f32\[1\] that the model does not register/);
  });

  it('layer classes carry their PyTorch names', () => {
    for (const [name, layer] of [
      ['ReLU', new nn.ReLU()],
      ['Flatten', new nn.Flatten()],
      ['LogSoftmax', new nn.LogSoftmax(1)],
      ['Linear', new nn.Linear(1, 1)],
      ['Conv2d', new nn.Conv2d(1, 1, 1)],
      ['Dropout', new nn.Dropout()],
    ] as const) {
      expect(layer.constructor.name).to.equal(name);
      expect(layer).to.be.instanceOf(nn.Module);
    }
  });
});

describe('initialisation as PyTorch does it', () => {
  it('dropout layers do not draw from the initialisation stream: removing one leaves the weights as they were', async () => {
    manualSeed(5);
    const withDropout = nn.sequential({ fc1: nn.linear(4, 3), drop: nn.dropout(0.5), fc2: nn.linear(3, 2) });
    manualSeed(5);
    const without = nn.sequential({ fc1: nn.linear(4, 3), fc2: nn.linear(3, 2) });
    const a = await Promise.all(withDropout.parameters().map((p) => p.read()));
    const b = await Promise.all(without.parameters().map((p) => p.read()));
    a.forEach((v, i) => expect(Array.from(v)).to.deep.equal(Array.from(b[i]!)));
    // and the masks are still seeded: the same seed gives the same key.
    manualSeed(5);
    const again = nn.dropout(0.5);
    manualSeed(5);
    expect(nn.dropout(0.5).key).to.deep.equal(again.key);
  });
});

describe('data helpers', () => {
  it('meanStd and standardize per feature, oneHot, and seeded shuffles that keep rows together', () => {
    const x = Float32Array.of(1, 10, 3, 10, 5, 10);
    const { mean, std } = data.meanStd(x, 2);
    expect(mean).to.deep.equal([3, 10]);
    expect(std[0]).to.be.closeTo(Math.sqrt(8 / 3), 1e-12);
    expect(std[1]).to.equal(1); // a constant column
    const scaled = data.standardize(x, 2);
    expect(Array.from(scaled.x).filter((_, k) => k % 2 === 1)).to.deep.equal([0, 0, 0]);
    const test = data.standardize(Float32Array.of(3, 10), 2, { mean, std });
    expect(Array.from(test.x)).to.deep.equal([0, 0]);
    expect(Array.from(data.oneHot([2, 0], 3))).to.deep.equal([0, 0, 1, 1, 0, 0]);
    expect(() => data.oneHot([3], 3)).to.throw(/label 3 at index 0 is not in \[0, 3\)/);
    const xs = Float32Array.from({ length: 20 }, (_, i) => i);
    const ys = Int32Array.from({ length: 10 }, (_, i) => i);
    const s1 = data.shuffle({ x: xs, y: ys }, { features: 2, seed: 3 });
    const s2 = data.shuffle({ x: xs, y: ys }, { features: 2, seed: 3 });
    expect(Array.from(s1.x)).to.deep.equal(Array.from(s2.x));
    expect(Array.from(s1.y)).to.not.deep.equal(Array.from(ys));
    s1.y.forEach((row, i) => expect([s1.x[2 * i], s1.x[2 * i + 1]]).to.deep.equal([2 * row, 2 * row + 1]));
    expect(Array.from(data.permutation(5, 1)).sort()).to.deep.equal([0, 1, 2, 3, 4]);
  });
});

describe('divergence', function () {
  this.timeout(300_000);
  const line = () =>
    new Dataset({
      name: 'line',
      features: Float32Array.from({ length: 11 }, (_, i) => i + 1),
      featureShape: [1],
      targets: Float32Array.from({ length: 11 }, (_, i) => 2 * (i + 1) + 3),
    });

  it('fit stops at the first report whose loss is not finite, after warning once that it grew 1000x', async () => {
    manualSeed(0);
    const device = await testDevice();
    const trainer = compile(device, { model: nn.linear(1, 1), loss: loss.mse, optimizer: optim.sgd({ lr: 1 }), batchSize: 1 });
    const warnings: string[] = [];
    const seen: number[] = [];
    const error = await trainer
      .fit(line(), { epochs: 20, shuffle: false, reportEvery: 1, onProgress: (p) => seen.push(p.seen), onWarning: (m) => warnings.push(m) })
      .then(
        () => null,
        (e: Error) => e,
      );
    expect(error?.message, error?.message).to.match(
      /^training diverged: the loss of epoch \d+ is (NaN|Infinity) after (\d+) examples \(try a smaller learning rate\)$/,
    );
    expect(Number(/after (\d+) examples/.exec(error!.message)![1])).to.be.below(11); // at a report, before the epoch's end (11 steps)
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.match(/training may be diverging: the loss grew from \S+ to \S+ within epoch \d+/);
  });

  it('evaluate refuses a loss that is not finite instead of reporting it', async () => {
    const device = await testDevice();
    const model = nn.linear(1, 1);
    model.weight.assign(Float32Array.of(3e38));
    const trainer = compile(device, { model, loss: loss.mse, optimizer: optim.sgd({ lr: 0.1 }), batchSize: 11 });
    const message = await trainer.evaluate(line()).then(
      () => '',
      (e: Error) => e.message,
    );
    expect(message).to.match(/evaluation on line: the mean loss is Infinity; the model's outputs are not finite/);
  });
});

describe('divergence and checkpoints', function () {
  this.timeout(300_000);

  it('a diverged state is never checkpointed, even without progress reports', async () => {
    manualSeed(0);
    const device = await testDevice();
    const trainer = compile(device, { model: nn.linear(1, 1), loss: loss.mse, optimizer: optim.sgd({ lr: 1 }), batchSize: 1 });
    const line = new Dataset({
      name: 'line',
      features: Float32Array.from({ length: 11 }, (_, i) => i + 1),
      featureShape: [1],
      targets: Float32Array.from({ length: 11 }, (_, i) => 2 * (i + 1) + 3),
    });
    const saved: TrainingState[] = [];
    const error = await trainer.fit(line, { epochs: 20, shuffle: false, checkpointEvery: 1, onCheckpoint: (state) => void saved.push(state) }).then(
      () => null,
      (e: Error) => e,
    );
    expect(error?.message).to.match(/^training diverged/);
    expect(saved.length).to.be.above(0);
    // Every checkpoint written holds finite weights and a finite running loss: the diverged one was refused.
    for (const state of saved) {
      for (const t of decodeSafetensors(state.model, 'model').tensors) expect(Array.from(t.data).every(Number.isFinite), t.name).to.equal(true);
      const sums = decodeSafetensors(state.training, 'training').tensors.find((t) => t.name === 'trainer.sums');
      if (sums) expect(Number.isFinite(sums.data[0]!)).to.equal(true);
    }
  });
});
