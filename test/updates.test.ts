// In-place ops: optimizer updates, counters, accumulators and the on-GPU batch gather, each against
// its CPU reference.
import { expect } from 'chai';
import { evaluateCpu, Graph, Program, Variable } from '../src/node';
import { accumulate } from '../src/ops/accumulate';
import { adamUpdate } from '../src/ops/adam-update';
import { batchGather } from '../src/ops/batch-gather';
import { counterAdd } from '../src/ops/counter-add';
import { sgdUpdate } from '../src/ops/sgd-update';
import { testDevice } from './helpers/device';
import { expectClose, randomArray } from './helpers/numeric';

describe('in-place update ops', () => {
  for (const [label, momentum, nesterov] of [
    ['plain', 0, false],
    ['momentum', 0.9, false],
    ['nesterov', 0.9, true],
  ] as const) {
    it(`sgd_update (${label}) matches the CPU reference over 3 steps`, async () => {
      const device = await testDevice();
      const n = 131;
      const p = new Variable('p', [n], 'f32', { data: randomArray(n, 1) });
      const v = new Variable('v', [n], 'f32');
      const hyper = new Variable('hyper', [4], 'f32', { data: Float32Array.of(0.1, momentum, 0.01, 0) });
      const g = new Graph();
      const grad = g.input('g', [n]);
      const update = sgdUpdate(g.variable(p), grad, g.variable(hyper), momentum ? g.variable(v) : null, nesterov);
      const program = await Program.compile(device, g);
      let pRef: Float64Array = Float64Array.from(randomArray(n, 1));
      let vRef: Float64Array = new Float64Array(n);
      for (let step = 0; step < 3; step++) {
        const gradData = randomArray(n, 10 + step);
        program.run({ g: gradData });
        const leaves = new Map<import('../src/node').SymbolicTensor, ArrayLike<number>>([
          [g.variable(p), pRef],
          [grad, gradData],
          [g.variable(hyper), [0.1, momentum, 0.01, 0]],
          [g.variable(v), vRef],
        ]);
        const next = evaluateCpu([update], leaves).get(update)!.data;
        // the velocity's new value: the reference recomputes it
        vRef = vRef.map((vi, i) => momentum * vi + gradData[i]! + 0.01 * pRef[i]!);
        pRef = next;
      }
      expectClose(await p.read(), pRef, 'parameter after 3 steps', 1e-5, 1e-6);
    });
  }

  // Adam (L2 decay in the gradient), AdamW (decoupled decay), AdamW on a parameter that does not decay,
  // and both with the gradient multiplied by a factor the update reads (clipping's, folded in by fusion).
  for (const [decoupled, decay, factor] of [
    [false, true, 1],
    [true, true, 1],
    [true, false, 1],
    [true, true, 0.3],
    [false, true, 0.3],
  ] as const) {
    const what =
      (decoupled ? `AdamW (decoupled decay${decay ? '' : ', this parameter undecayed'})` : 'Adam (L2 decay)') +
      (factor === 1 ? '' : ` on the gradient times a factor of ${factor}`);
    it(`adam_update as ${what} with the step counter advanced on the GPU matches torch.optim's formula`, async () => {
      const device = await testDevice();
      const n = 70;
      const [lr, wd] = [0.01, decoupled ? 0.1 : 0.001];
      const p = new Variable('p', [n], 'f32', { data: randomArray(n, 3) });
      const m = new Variable('m', [n], 'f32');
      const v = new Variable('v', [n], 'f32');
      const step = new Variable('step', [1], 'i32');
      const hyper = new Variable('hyper', [5], 'f32', { data: Float32Array.of(lr, 0.9, 0.999, 1e-8, wd) });
      const g = new Graph();
      const grad = g.input('g', [n]);
      counterAdd(g.variable(step), 1);
      const scale = factor === 1 ? undefined : g.variable(new Variable('scale', [1], 'f32', { data: Float32Array.of(factor) }));
      adamUpdate(g.variable(p), grad, g.variable(hyper), g.variable(m), g.variable(v), g.variable(step), { decoupled, decay }, scale);
      const program = await Program.compile(device, g);
      const pRef = Float64Array.from(randomArray(n, 3));
      const mRef = new Float64Array(n);
      const vRef = new Float64Array(n);
      for (let t = 1; t <= 4; t++) {
        const gradData = randomArray(n, 20 + t);
        program.run({ g: gradData });
        for (let i = 0; i < n; i++) {
          // Adam: g += wd * p. AdamW: p *= 1 - lr * wd, then the step on the plain gradient.
          const gi = factor * gradData[i]! + (decay && !decoupled ? wd * pRef[i]! : 0);
          if (decay && decoupled) pRef[i] = pRef[i]! * (1 - lr * wd);
          mRef[i] = 0.9 * mRef[i]! + 0.1 * gi;
          vRef[i] = 0.999 * vRef[i]! + 0.001 * gi * gi;
          pRef[i] = pRef[i]! - (lr / (1 - 0.9 ** t)) * (mRef[i]! / (Math.sqrt(vRef[i]!) / Math.sqrt(1 - 0.999 ** t) + 1e-8));
        }
      }
      expect([...(await step.read())]).to.deep.equal([4]);
      expectClose(await p.read(), pRef, `parameter after 4 ${what} steps`, 1e-4, 1e-6);
    });
  }

  it('accumulate sums across steps and runs; several steps go in one submit', async () => {
    const device = await testDevice();
    const acc = new Variable('acc', [2], 'f32');
    const g = new Graph();
    const x = g.input('x', [4]);
    accumulate(g.variable(acc), g.sum(x), 1, 0.5);
    const program = await Program.compile(device, g);
    program.run({ x: Float32Array.of(1, 2, 3, 4) }, { steps: 3 });
    program.run({}, { steps: 1 });
    expect([...(await acc.read())]).to.deep.equal([0, 20]);
  });

  it('batch_gather builds batches from bytes, f32 and i32 data following the order and cursor', async () => {
    const device = await testDevice();
    const bytes = Uint8Array.from({ length: 5 * 3 }, (_, i) => i * 10);
    const floats = Float32Array.from({ length: 5 * 2 }, (_, i) => i / 2);
    const labels = Int32Array.of(10, 11, 12, 13, 14);
    const order = new Variable('order', [5], 'i32', { data: Int32Array.of(4, 2, 0, 1, 3) });
    const cursor = new Variable('cursor', [1], 'i32');
    const g = new Graph();
    const [o, c] = [g.variable(order), g.variable(cursor)];
    const xb = batchGather(g.variable(new Variable('bytes', [5, 3], 'u8', { data: bytes })), o, c, 2, 1 / 255, -0.5);
    const xf = batchGather(g.variable(new Variable('floats', [5, 2], 'f32', { data: floats })), o, c, 2, 2, 1);
    const yb = batchGather(g.variable(new Variable('labels', [5], 'i32', { data: labels })), o, c, 2);
    counterAdd(c, 2);
    const program = await Program.compile(device, g, { outputs: [xb, xf, yb] });
    program.run();
    expectClose(await program.read(xb), [120 / 255 - 0.5, 130 / 255 - 0.5, 140 / 255 - 0.5, 60 / 255 - 0.5, 70 / 255 - 0.5, 80 / 255 - 0.5], 'bytes batch 1');
    expect([...(await program.read(xf))]).to.deep.equal([9, 10, 5, 6]);
    expect([...(await program.read(yb))]).to.deep.equal([14, 12]);
    program.run();
    expect([...(await program.read(yb))]).to.deep.equal([10, 11]);
    expect([...(await cursor.read())]).to.deep.equal([4]);
  });
});
