// Profiling a compiled program: per-kernel GPU times from timestamp queries where the adapter has
// 'timestamp-query' (SwiftShader does), in one submit like a normal run; a clear statement and the
// CPU-timed step where it has not (llvmpipe); and `kiln profile mnist` end to end.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { countGpuCalls } from '../bench/count-calls';
import { openDevice, type Device } from '../src/node';
import { Graph } from '../src/graph/graph';
import { profileProgram, NO_TIMESTAMPS } from '../src/graph/profile';
import { Program } from '../src/graph/program';
import { Variable } from '../src/graph/variable';
import { matmul } from '../src/ops/matmul';
import { conv2dOp } from '../src/ops/conv2d';
import { manualSeed } from '../src/random/philox';
import { Dataset } from '../src/train/data/dataset';
import { MNIST_NETS, mnistTrainFlops, setupMnist } from '../src/train/recipes/mnist';
import { testDevice } from './helpers/device';
import { randomArray, rng } from './helpers/numeric';

const hasTimestamps = (device: Device) => device.gpu.features.has('timestamp-query');

function images(count: number): Dataset {
  const next = rng(7);
  return new Dataset({
    name: `profile-${count}`,
    features: Uint8Array.from({ length: count * 784 }, () => Math.floor(256 * next())),
    featureShape: [1, 28, 28],
    targets: Int32Array.from({ length: count }, (_, i) => i % 10),
    classes: 10,
    scale: 1 / 255,
  });
}

describe('profiling a program', function () {
  this.timeout(600_000);

  // The narrow net's training step at batch 16, compiled once (SwiftShader takes tens of seconds).
  let compiled: Promise<{ device: Device; data: Dataset; program: Program }> | null = null;
  const narrowStep = () => {
    compiled ??= testDevice().then(async (device) => {
      manualSeed(0);
      const { trainer } = setupMnist(device, { net: MNIST_NETS.narrow, batchSize: 16 });
      const data = images(64);
      return { device, data, program: await trainer.program('train', data, 16) };
    });
    return compiled;
  };

  it('the FLOP counts of matmul and the conv ops add up to mnistTrainFlops', async () => {
    const { program } = await narrowStep();
    let gemm = 0;
    for (const { node } of program.kernels) if (node.op?.flops) gemm += node.op.flops(node, node.attrs);
    expect(gemm).to.equal(16 * mnistTrainFlops(MNIST_NETS.narrow));
    const g = new Graph();
    const x = g.input('x', [2, 3, 8, 8]);
    const w = g.input('w', [5, 3, 3, 3]);
    const y = g.apply(conv2dOp, [x, w], { stride: [1, 1], padding: [0, 0], dilation: [1, 1] });
    expect(conv2dOp.flops!(y, { stride: [1, 1], padding: [0, 0], dilation: [1, 1] })).to.equal(2 * 2 * 6 * 6 * 5 * 3 * 9);
  });

  it('with timestamp-query: one row per dispatch, finite non-negative times, shares summing to 100%, one submit', async function () {
    if (!hasTimestamps(await testDevice())) this.skip(); // llvmpipe: the next test covers it
    const { device, data, program } = await narrowStep();
    program.run({}, { steps: 1 }); // warm-up
    await device.sync();
    data.startEpoch(null);
    const calls = countGpuCalls(device);
    const profile = await profileProgram(program, { steps: 3 });
    const counts = calls.stop();
    expect(counts.submits, 'submits of the profiled run').to.equal(1);
    expect(counts.createBindGroup).to.equal(0);
    if (!profile.timed) throw new Error(`expected a timed profile: ${profile.reason}`);
    if (profile.method !== 'timestamps') throw new Error(`expected timestamps, got ${profile.method}`);
    expect(profile.kernels).to.have.length(program.stats.dispatchesPerStep);
    expect(profile.kernels.map((k) => k.index)).to.deep.equal(program.kernels.map((_, i) => i));
    for (const k of profile.kernels) {
      for (const value of [k.micros, k.share, k.gflops, k.gbps]) expect(Number.isFinite(value) && value >= 0, `${k.label} ${k.shape}: ${value}`).to.equal(true);
      expect(k.bytes).to.be.above(0);
    }
    const shares = profile.kernels.reduce((sum, k) => sum + k.share, 0);
    expect(shares).to.be.closeTo(1, 1e-9);
    expect(profile.gpuStepMs).to.be.above(0);
    // The kernels run one after another: their sum fits in the span from first start to last end.
    expect(profile.gpuStepMs).to.be.at.most(profile.spanStepMs * 1.001 + 1e-3);
    const slowest = [...profile.kernels].sort((a, b) => b.micros - a.micros).slice(0, 3);
    console.log(
      `      slowest: ${slowest.map((k) => `${k.label} ${k.micros.toFixed(0)} µs (${(100 * k.share).toFixed(1)}%)`).join(', ')}; step ${profile.gpuStepMs.toFixed(1)} ms in kernels, ${profile.wallStepMs.toFixed(1)} ms wall`,
    );
  });

  it('without timestamp-query: says so, and times the whole step on the CPU in one submit', async function () {
    const shared = await testDevice();
    // llvmpipe has no timestamp queries; on another test adapter, open llvmpipe for this test.
    const device = hasTimestamps(shared) ? await openDevice({ adapter: 'llvmpipe' }).catch(() => null) : shared;
    if (!device) this.skip();
    try {
      expect(hasTimestamps(device)).to.equal(false);
      const g = new Graph();
      const a = g.input('a', [32, 48]);
      const b = g.variable(new Variable('b', [48, 16], 'f32', { data: randomArray(48 * 16, 3) }));
      const c = matmul(a, b);
      const program = await Program.compile(device, g, { outputs: [c] });
      program.run({ a: randomArray(32 * 48, 4) });
      const calls = countGpuCalls(device);
      const profile = await profileProgram(program, { steps: 4 });
      expect(calls.stop().submits).to.equal(1);
      if (profile.timed) throw new Error('expected no per-kernel times on llvmpipe');
      expect(profile.reason).to.equal(NO_TIMESTAMPS);
      expect(profile.reason).to.match(/no 'timestamp-query' feature .* per-kernel GPU times are unavailable; the whole step was timed on the CPU instead/);
      expect(profile.wallStepMs).to.be.above(0);
      expect(profile.kernels.map((k) => k.label)).to.deep.equal(program.kernels.map((k) => k.label));
      expect(profile.stepFlops).to.equal(2 * 32 * 48 * 16);
    } finally {
      if (device !== shared) device.destroy();
    }
  });

  it('isolated: each dispatch timed alone on any adapter, one submit per dispatch after an empty one', async () => {
    const { device, program } = await narrowStep();
    program.run({}, { steps: 1 });
    await device.sync();
    const calls = countGpuCalls(device);
    const profile = await profileProgram(program, { steps: 2, isolated: true });
    const counts = calls.stop();
    if (!profile.timed || profile.method !== 'isolated') throw new Error('expected an isolated profile');
    // Five empty submits measure the submit's own cost, then one per dispatch.
    expect(counts.submits).to.equal(5 + program.stats.dispatchesPerStep);
    expect(counts.createBindGroup).to.equal(0);
    expect(profile.kernels.map((k) => k.label)).to.deep.equal(program.kernels.map((k) => k.label));
    for (const k of profile.kernels) expect(Number.isFinite(k.micros) && k.micros >= 0, `${k.label}: ${k.micros}`).to.equal(true);
    expect(profile.kernels.reduce((sum, k) => sum + k.share, 0)).to.be.closeTo(1, 1e-9);
    expect(profile.gpuStepMs).to.be.above(0);
    expect(profile.wallStepMs).to.equal(profile.gpuStepMs);
    expect(profile.kernels.reduce((sum, k) => sum + k.micros, 0) / 1000).to.be.closeTo(profile.gpuStepMs, 1e-9);
  });

  it('kiln profile mnist --net narrow --steps 2 --limit 128 prints the table or says why it cannot', () => {
    const r = spawnSync(process.execPath, ['bin/kiln.js', 'profile', 'mnist', '--net', 'narrow', '--steps', '2', '--warmup', '1', '--limit', '128'], {
      encoding: 'utf8',
      timeout: 300_000,
    });
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/training step at batch 64 on/);
    expect(r.stdout).to.match(/profiled: 2 step\(s\) in one submit/);
    if (/no per-kernel times/.test(r.stdout)) {
      expect(r.stdout).to.include(NO_TIMESTAMPS);
      expect(r.stdout).to.match(/step: [\d.]+ ms wall clock \(measured on the CPU/);
    } else {
      expect(r.stdout).to.match(/kernel +node +shape +µs\/step +share +GFLOP\/s +GB\/s/);
      expect(r.stdout).to.match(/\n +\d+ +conv2d\S* +conv2d/);
      expect(r.stdout).to.match(/total +[\d.]+ +100\.0%/);
      expect(r.stdout).to.match(/step: [\d.]+ ms in kernels/);
    }
    expect(r.stdout).to.match(/throughput: [\d.]+ images\/s, [\d.]+ GFLOP\/s/);
  });
});
