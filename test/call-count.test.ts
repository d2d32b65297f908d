// Steady-state training makes no per-step GPU calls beyond encoding: it counts (not times) the calls
// an MNIST epoch makes on the wrapped GPUDevice. Submits: one per run(); createBuffer and
// createBindGroup: none (everything was made when the programs compiled); mapAsync: only the
// end-of-epoch read of the running sums.
import { expect } from 'chai';
import { countGpuCalls, type CallCounts } from '../bench/count-calls';
import type { Device } from '../src/device/device';
import { manualSeed } from '../src/random/philox';
import { Dataset } from '../src/train/data/dataset';
import { MNIST_NETS, setupMnist } from '../src/train/recipes/mnist';
import { testDevice } from './helpers/device';
import { rng } from './helpers/numeric';

const BATCH = 16;

const datasets = new Map<number, Dataset>();

/** `count` random 28x28 images with labels 0..9 (values do not matter here, counts do), made once. */
function images(count: number): Dataset {
  const made = datasets.get(count);
  if (made) return made;
  const next = rng(count);
  const data = new Dataset({
    name: `count-calls-${count}`,
    features: Uint8Array.from({ length: count * 784 }, () => Math.floor(256 * next())),
    featureShape: [1, 28, 28],
    targets: Int32Array.from({ length: count }, (_, i) => i % 10),
    classes: 10,
    scale: 1 / 255,
  });
  datasets.set(count, data);
  return data;
}

/**
 * Counts mapAsync on every GPUBuffer, staging buffers made before counting included (the ring's
 * slots are made during warm-up, and count-calls only sees buffers created while it counts).
 */
function countMaps(): { stop: () => number } {
  const proto = (globalThis as unknown as { GPUBuffer: { prototype: GPUBuffer } }).GPUBuffer.prototype;
  const original = proto.mapAsync;
  let maps = 0;
  proto.mapAsync = function (this: GPUBuffer, ...args: Parameters<GPUBuffer['mapAsync']>) {
    maps++;
    return original.apply(this, args);
  };
  return {
    stop: () => {
      proto.mapAsync = original;
      return maps;
    },
  };
}

async function count(device: Device, body: () => Promise<void> | void): Promise<CallCounts> {
  const calls = countGpuCalls(device);
  const maps = countMaps();
  let counts: CallCounts;
  let mapAsync: number;
  try {
    await body();
  } finally {
    counts = calls.stop();
    mapAsync = maps.stop();
  }
  return { ...counts, mapAsync };
}

describe('GPU calls per epoch (counts, not timings)', function () {
  this.timeout(600_000);

  // One trainer for every case: its programs are cached per dataset and batch size.
  let setup: Promise<{ device: Device; trainer: ReturnType<typeof setupMnist>['trainer'] }> | null = null;
  const narrow = () => {
    setup ??= testDevice().then((device) => {
      manualSeed(0);
      return { device, trainer: setupMnist(device, { net: MNIST_NETS.narrow, batchSize: BATCH }).trainer };
    });
    return setup;
  };

  it('an epoch of 8 full batches without onProgress: 1 submit, no buffer or bind group, 1 map', async () => {
    const { device, trainer } = await narrow();
    const data = images(128); // 8 batches of 16, no tail
    await trainer.fit(data, { epochs: 1, reportEvery: 8 }); // warm-up: compiles train[16], makes the staging slot
    const counts = await count(device, () => trainer.fit(data, { epochs: 1, reportEvery: 8 }).then(() => undefined));
    // Submits: 1 run of the 8 steps (reportEvery = the epoch's steps), which also copies the running
    // sums into a staging slot (Program.runAndRead). mapAsync: that end-of-epoch read only. Nothing is
    // created: programs, bind groups and the slot already exist.
    expect(counts).to.deep.equal({ submits: 1, createBuffer: 0, createBindGroup: 0, mapAsync: 1 });
  });

  it('with a partial last batch: one more submit for the tail program, nothing else', async () => {
    const { device, trainer } = await narrow();
    const data = images(136); // 8 batches of 16, then a tail of 8 trained at its own size
    await trainer.fit(data, { epochs: 1, reportEvery: 8 }); // warm-up: compiles train[16] and train[8]
    const counts = await count(device, () => trainer.fit(data, { epochs: 1, reportEvery: 8 }).then(() => undefined));
    // Submits: the 8 full steps, then the tail step (another program, so another run) with the sums' copy.
    expect(counts).to.deep.equal({ submits: 2, createBuffer: 0, createBindGroup: 0, mapAsync: 1 });
  });

  it('readbacks inside an epoch only when onProgress asks for them', async () => {
    const { device, trainer } = await narrow();
    const data = images(128);
    const reports: number[] = [];
    // Warm-up with reports too: a report's read overlaps the next group's, so the ring holds two slots.
    await trainer.fit(data, { epochs: 1, reportEvery: 2, onProgress: () => undefined });
    const counts = await count(device, () => trainer.fit(data, { epochs: 1, reportEvery: 2, onProgress: (p) => reports.push(p.seen) }).then(() => undefined));
    // 4 runs of 2 steps, each copying the sums out in its own submit: 3 progress reads (seen 32, 64,
    // 96) and the end-of-epoch read, whose report is the last: 4 submits, 4 maps.
    expect(reports).to.deep.equal([32, 64, 96, 128]);
    expect(counts).to.deep.equal({ submits: 4, createBuffer: 0, createBindGroup: 0, mapAsync: 4 });
  });

  it('a progress report is read after the next group of steps is queued (the queue never drains for it)', async () => {
    const { device, trainer } = await narrow();
    const data = images(128);
    const events: string[] = [];
    const queue = device.gpu.queue;
    const submit = queue.submit;
    queue.submit = function (this: GPUQueue, ...args: Parameters<GPUQueue['submit']>) {
      events.push('submit');
      return submit.apply(this, args);
    };
    try {
      await trainer.fit(data, { epochs: 1, reportEvery: 2, onProgress: (p) => events.push(`report ${p.seen}`) });
    } finally {
      queue.submit = submit;
    }
    // Steps 1-2 are reported once steps 3-4 are submitted, and so on; the epoch's end has nothing after it.
    expect(events).to.deep.equal(['submit', 'submit', 'report 32', 'submit', 'report 64', 'submit', 'report 96', 'report 128']);
  });

  it('Program.run({ steps: 5 }) of a compiled program: 1 submit and nothing else', async () => {
    const { device, trainer } = await narrow();
    const data = images(128);
    const program = await trainer.program('train', data, BATCH);
    program.run({}, { steps: 1 }); // the program has run before, so nothing is first-use below
    await device.sync();
    data.startEpoch(null); // 5 steps of 16 stay inside the 128 images
    const counts = await count(device, async () => {
      program.run({}, { steps: 5 });
      await device.sync();
    });
    expect(counts).to.deep.equal({ submits: 1, createBuffer: 0, createBindGroup: 0, mapAsync: 0 });
  });
});
