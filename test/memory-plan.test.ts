// The memory plan alone (pure: a schedule in, arenas and offsets out), then compiled programs: results
// do not change, and the peak the program reports equals the bytes it actually allocated.
import { expect } from 'chai';
import { Dataset, evaluateCpu, Graph, Program, Variable, type SymbolicTensor as Tensor } from '../src/node';
import { alignUp, planMemory, storageRoot, type MemoryPlan } from '../src/graph/memory-plan';
import { scheduleStep } from '../src/graph/program';
import { NO_VALUE } from '../src/ops/effect';
import { defineOp } from '../src/ops/op';
import { sgdUpdate } from '../src/ops/sgd-update';
import { setupMnist } from '../src/train/recipes/mnist';
import { testDevice } from './helpers/device';
import { expectClose, randomArray } from './helpers/numeric';

function chain(depth: number) {
  const g = new Graph();
  const x = g.input('x', [64, 32]);
  const w = g.param('w', [32, 32], randomArray(32 * 32, 5, -0.2, 0.2));
  let h = x;
  for (let i = 0; i < depth; i++) h = g.tanh(g.matmul(h, w));
  const loss = g.mean(g.square(h));
  const [dw] = g.grad(loss, [w]);
  return { g, x, w, loss, dw: dw! };
}

const INIT = { w1: randomArray(8 * 12, 1, -0.5, 0.5), b1: randomArray(12, 2, -0.1, 0.1), w2: randomArray(12 * 4, 3, -0.5, 0.5) };
const TARGET = randomArray(16 * 4, 4);
const LR = 0.1;

/** A two-layer perceptron's training step: forward, backward, and an SGD update of every parameter. */
function mlp() {
  const g = new Graph();
  const x = g.input('x', [16, 8]);
  const w1 = g.param('w1', [8, 12], INIT.w1);
  const b1 = g.param('b1', [12], INIT.b1);
  const w2 = g.param('w2', [12, 4], INIT.w2);
  const hyper = g.variable(new Variable('hyper', [4], 'f32', { data: Float32Array.of(LR, 0, 0, 0) }));
  const y = g.mul(g.matmul(g.relu(g.add(g.matmul(x, w1), b1)), w2), g.constant(0.5));
  const loss = g.mean(g.square(g.sub(y, g.constant(TARGET, [16, 4], 'target'))));
  const params = [w1, b1, w2];
  const grads = g.grad(loss, params);
  params.forEach((p, i) => sgdUpdate(p, grads[i]!, hyper, null, false));
  return { g, x, params, loss, grads };
}

/** Every promise the plan makes, checked against lifetimes recomputed here from the schedule. */
function checkPlan(
  schedule: readonly Tensor[],
  keep: ReadonlySet<Tensor>,
  plan: MemoryPlan,
  options: { offsetAlignment: number; maxArenaBytes: number },
): void {
  const planned = schedule.filter((t) => !t.isEffect && !t.op?.view);
  const first = new Map(planned.map((t) => [t, schedule.indexOf(t)]));
  const last = new Map(first);
  schedule.forEach((node, time) => node.inputs.forEach((x) => last.has(storageRoot(x)) && last.set(storageRoot(x), Math.max(last.get(storageRoot(x))!, time))));
  for (const t of keep) if (last.has(t)) last.set(t, schedule.length);

  expect([...plan.placements.keys()]).to.have.members(planned);
  for (const t of planned) {
    const p = plan.placements.get(t)!;
    expect(p.offset % options.offsetAlignment, `${t} offset ${p.offset}`).to.equal(0);
    expect(p.bytes % 4, `${t} binding size`).to.equal(0);
    expect(p.bytes).to.be.at.least(t.byteLength);
    expect(p.offset + p.bytes, `${t} inside its arena`).to.be.at.most(plan.arenas[p.arena]!.bytes);
  }
  for (const arena of plan.arenas) expect(arena.bytes).to.be.at.most(options.maxArenaBytes);

  // No two tensors live at the same time share a byte; a kept tensor is live to the end, so this also
  // says that nothing written after it overwrites it.
  for (const a of planned) {
    for (const b of planned) {
      if (a === b) continue;
      const pa = plan.placements.get(a)!;
      const pb = plan.placements.get(b)!;
      const together = first.get(a)! <= last.get(b)! && first.get(b)! <= last.get(a)!;
      const shareBytes = pa.arena === pb.arena && pa.offset < pb.offset + pb.bytes && pb.offset < pa.offset + pa.bytes;
      expect(together && shareBytes, `${a} and ${b} are live together and share bytes`).to.equal(false);
    }
  }
  for (const t of keep) if (plan.placements.has(t)) expect(last.get(t), `${t} is fetched`).to.equal(schedule.length);

  // WebGPU: the buffer a dispatch writes is bound nowhere else in that dispatch.
  for (const node of schedule) {
    if (node.op?.view) continue;
    const written = plan.placements.get(node.isEffect ? storageRoot(node.inputs[0]!) : node);
    if (!written) continue;
    for (const x of node.inputs) {
      const read = plan.placements.get(storageRoot(x));
      if (read && storageRoot(x) !== node) expect(read.arena, `${node} writes the arena its input ${x} is in`).to.not.equal(written.arena);
    }
  }
}

/** The most bytes live at once with each tensor's size rounded up to the offset alignment. */
function alignedLargestLive(plan: MemoryPlan): number {
  let most = 0;
  const times = new Set([...plan.lifetimes.values()].map((l) => l.first));
  for (const time of times) {
    let live = 0;
    for (const [t, life] of plan.lifetimes) if (life.first <= time && time <= life.last) live += alignUp(t.byteLength, plan.offsetAlignment);
    most = Math.max(most, live);
  }
  return most;
}

describe('memory planning', () => {
  const graphs = {
    'a tanh chain and its gradient': () => {
      const { g, loss, dw } = chain(6);
      return { schedule: scheduleStep(g, [loss, dw]), keep: new Set([loss, dw]) };
    },
    'a perceptron training step': () => {
      const { g, loss } = mlp();
      return { schedule: scheduleStep(g, [loss]), keep: new Set([loss]) };
    },
  };

  for (const [name, make] of Object.entries(graphs)) {
    it(`${name}: tensors live together never share bytes, offsets are aligned, writes get an arena of their own`, () => {
      const { schedule, keep } = make();
      const options = { offsetAlignment: 256, maxArenaBytes: Infinity };
      const plan = planMemory(schedule, keep, options);
      checkPlan(schedule, keep, plan, options);
      expect(plan.arenas.length).to.be.within(2, 4);
      const total = plan.arenas.reduce((a, s) => a + s.bytes, 0);
      expect(total).to.be.below(plan.unplannedBytes);
      expect(total).to.be.at.least(plan.largestLiveBytes);
      expect(total).to.be.at.most(alignedLargestLive(plan));
    });
  }

  it('follows the device: another offset alignment, and more arenas when maxBufferSize is small', () => {
    const { schedule, keep } = graphs['a tanh chain and its gradient']();
    const aligned = { offsetAlignment: 1024, maxArenaBytes: Infinity };
    checkPlan(schedule, keep, planMemory(schedule, keep, aligned), aligned);
    const roomy = planMemory(schedule, keep);
    const small = { offsetAlignment: 256, maxArenaBytes: 3 * 64 * 32 * 4 };
    const plan = planMemory(schedule, keep, small);
    checkPlan(schedule, keep, plan, small);
    expect(plan.arenas.length).to.be.above(roomy.arenas.length);
    expect(() => planMemory(schedule, keep, { maxArenaBytes: 1000 })).to.throw(/more than the largest buffer/);
  });

  it("pins a group side by side in one arena (a flat update's gradients), its bytes reserved for the whole step", () => {
    const { g, loss, grads } = mlp();
    const schedule = scheduleStep(g, [loss]);
    const keep = new Set([loss]);
    const roots = grads.map(storageRoot);
    const offsets = [0, alignUp(roots[0]!.byteLength, 256), alignUp(roots[0]!.byteLength, 256) + alignUp(roots[1]!.byteLength, 256)];
    const bytes = offsets[2]! + roots[2]!.byteLength;
    const options = { offsetAlignment: 256, maxArenaBytes: Infinity };
    const plan = planMemory(schedule, keep, { ...options, pinned: [{ tensors: roots, offsets, bytes }] });
    checkPlan(schedule, keep, plan, options);
    const start = plan.placements.get(roots[0]!)!;
    expect(start.offset % 256).to.equal(0);
    roots.forEach((t, i) => expect(plan.placements.get(t)).to.deep.include({ arena: start.arena, offset: start.offset + offsets[i]! }));
    for (const [t, p] of plan.placements) {
      if (roots.includes(t) || p.arena !== start.arena) continue;
      expect(p.offset + p.bytes <= start.offset || p.offset >= start.offset + bytes, `${t} inside the pinned group`).to.equal(true);
    }
    expect(() => planMemory(schedule, keep, { pinned: [{ tensors: roots, offsets: [0, 4, 8], bytes }] })).to.throw(/does not fit/);
  });

  it('a tanh chain: results equal the CPU reference, the reported peak equals the bytes allocated, describe() shows arenas', async () => {
    const device = await testDevice();
    const { g, x, w, loss, dw } = chain(4);
    const before = device.stats.bytesAllocated;
    const program = await Program.compile(device, g, { outputs: [loss, dw] });
    // Variables are allocated on first use by this program too, so the delta is the whole step.
    expect(device.stats.bytesAllocated - before).to.equal(program.stats.peakBytes);
    const xs = randomArray(64 * 32, 6);
    program.run({ x: xs });
    const cpu = evaluateCpu(
      [loss, dw],
      new Map([
        [x, xs],
        [w, randomArray(32 * 32, 5, -0.2, 0.2)],
      ]),
    );
    expectClose(await program.read(loss), cpu.get(loss)!.data, 'loss', 1e-4, 1e-6);
    expectClose(await program.read(dw), cpu.get(dw)!.data, 'dw', 1e-3, 1e-5);
    const s = program.stats;
    expect(s.intermediateBytes).to.equal(s.arenaBytes.reduce((a, b) => a + b, 0));
    expect(s.intermediateBytes).to.be.below(s.unplannedBytes);
    expect(s.intermediateBytes).to.be.at.least(s.largestLiveBytes);
    const text = program.describe();
    expect(text).to.match(/matmul/);
    expect(text).to.match(/out:A\d+@0x[0-9a-f]+ \(\d+(\.\d+)? (B|KiB|MiB)\)/);
    expect(text).to.match(/^A0: \d+\.\d+ MiB$/m);
    expect(text).to.match(/peak .* MiB/);
  });

  it('a perceptron trained 3 steps equals a float64 replay; fetched outputs read back from their offsets', async () => {
    const device = await testDevice();
    const { g, x, params, loss, grads } = mlp();
    const before = device.stats.bytesAllocated;
    const program = await Program.compile(device, g, { outputs: [loss, ...grads] });
    const s = program.stats;
    expect(device.stats.bytesAllocated - before, 'bytes allocated by compile').to.equal(s.peakBytes);
    expect(s.peakBytes).to.equal(s.variableBytes + s.inputBytes + s.constantBytes + s.intermediateBytes + s.uniformBytes);
    // Slack over the largest live set: only the 256-byte alignment of each tensor and 16-byte buffer sizes.
    expect(s.intermediateBytes).to.be.at.least(s.largestLiveBytes);
    expect(s.intermediateBytes).to.be.at.most(s.largestLiveBytes + 256 * 12);
    expect(program.describe(), 'some fetched tensor sits past the start of its arena').to.match(/out:A\d+@0x[1-9a-f]/);

    const xs = randomArray(16 * 8, 7);
    const values = params.map((p) => Float64Array.from(INIT[p.name as keyof typeof INIT]));
    for (let step = 0; step < 3; step++) {
      program.run(step === 0 ? { x: xs } : {});
      const leaves = new Map<Tensor, ArrayLike<number>>([[x, xs], ...params.map((p, i) => [p, values[i]!] as [Tensor, Float64Array])]);
      const cpu = evaluateCpu([loss, ...grads], leaves);
      expectClose(await program.read(loss), cpu.get(loss)!.data, `loss at step ${step}`, 1e-4, 1e-6);
      for (const [i, grad] of grads.entries()) {
        const expected = cpu.get(grad)!.data;
        expectClose(await program.read(grad), expected, `gradient of ${params[i]!.name} at step ${step}`, 1e-3, 1e-5);
        values[i] = values[i]!.map((v, k) => v - LR * expected[k]!);
      }
    }
    for (const [i, p] of params.entries()) expectClose(await p.variable!.read(), values[i]!, `${p.name} after 3 steps`, 1e-4, 1e-5);
  });

  it('the MNIST training step at batch 64: peak reported before the first step = bytes allocated, intermediates = largest live set', async () => {
    const device = await testDevice();
    const { model, trainer } = setupMnist(device, { batchSize: 64 });
    const images = new Dataset({
      name: 'blank',
      features: new Uint8Array(256 * 784),
      featureShape: [1, 28, 28],
      targets: new Int32Array(256),
      classes: 10,
      scale: 1,
      shift: 0,
    });
    const before = device.stats.bytesAllocated;
    const program = await trainer.program('train', images, 64);
    const s = program.stats;
    expect(device.stats.bytesAllocated - before, 'bytes allocated by compile').to.equal(s.peakBytes);
    // Measured: 20 bytes over the largest live set without the flat SGD update (buffer sizes round up
    // to 16); 108,308 bytes (0.3%) with it, whose pinned gradients are reserved for the whole step.
    expect(s.intermediateBytes - s.largestLiveBytes).to.be.within(0, s.largestLiveBytes / 100);
    const parameterBytes = model.parameters().reduce((sum, p) => sum + p.byteLength, 0);
    // Variables: parameters, SGD's momentum buffers (as many bytes), the images and a few counters.
    expect(s.variableBytes - 2 * parameterBytes).to.be.within(0, 256 * 784 + 64 * 1024);
    expect(s.peakBytes).to.be.at.most(s.variableBytes + s.largestLiveBytes * 1.01 + 64 * 1024);
  });

  it('refuses, naming the node, a kernel that writes a buffer it also binds elsewhere (WebGPU would reject the dispatch)', async () => {
    const device = await testDevice();
    const writesTwice = defineOp({
      name: 'writes_twice',
      effect: true,
      infer: () => NO_VALUE,
      lower: () => [
        {
          code: '@group(0) @binding(0) var<storage, read_write> a: array<f32>;\n@group(0) @binding(1) var<storage, read> b: array<f32>;\n@compute @workgroup_size(1) fn main() { a[0] = b[0]; }',
          bindings: [{ input: 0 }, { input: 1 }],
          workgroups: [1, 1, 1],
        },
      ],
      cpu: ([a]) => a!,
    });
    const g = new Graph();
    const p = g.param('p', [4], randomArray(4, 9));
    g.apply(writesTwice, [p, p], {});
    const error = await Program.compile(device, g).then(
      () => null,
      (e: unknown) => e,
    );
    expect(String(error)).to.match(/writes_twice.* writes binding 0 in the same buffer as its binding 1/);
  });
});
