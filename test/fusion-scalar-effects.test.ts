// A step's scalar effects (counters, running sums) share one dispatch: the pass alone (which effects
// merge, where the merged node goes, the binding limit), the merged kernel against per-effect
// dispatches on the GPU, and the literals its WGSL is written with.
import { expect } from 'chai';
import { mergeScalarEffects } from '../src/graph/fusion/scalar-effects';
import { scheduleStep } from '../src/graph/program';
import { Graph, optim, Program, Variable } from '../src/node';
import { accumulate } from '../src/ops/accumulate';
import { counterAdd, counterAddOp } from '../src/ops/counter-add';
import { f32Literal, i32Literal, scalarEffectsOp } from '../src/ops/scalar-effects';
import type { Tensor } from '../src/graph/tensor';
import { testDevice } from './helpers/device';
import { expectClose, randomArray } from './helpers/numeric';

/** A regression step trained by Adam, with a running loss sum, a data cursor and a dropout-like counter. */
function adamStep() {
  const g = new Graph();
  const x = g.input('x', [6, 3]);
  const w = g.param('w', [3, 1], randomArray(3, 7));
  const loss = g.mean(g.square(g.matmul(x, w)));
  const sums = new Variable('sums', [2], 'f32');
  const cursor = new Variable('cursor', [1], 'i32');
  const counter = new Variable('counter', [1], 'i32');
  const optimizer = optim.adam({ lr: 0.05 });
  counterAdd(g.variable(counter), 1);
  optimizer.addUpdates(g, [w], g.grad(loss, [w]));
  accumulate(g.variable(sums), loss, 0, 1 / 3);
  counterAdd(g.variable(cursor), 6);
  return { g, w, sums, cursor, counter, optimizer };
}

const labels = (schedule: readonly Tensor[]) => schedule.map((n) => n.name);

describe('fusion: scalar effects in one dispatch', function () {
  this.timeout(120_000);

  it('merges each run of scalar effects where its last member was, never past a reader of what it updates', () => {
    const { g } = adamStep();
    const schedule = scheduleStep(g, []);
    const effects = schedule.filter((n) => n.isEffect);
    expect(labels(effects)).to.deep.equal(['counter_add', 'counter_add', 'adam_update', 'accumulate', 'counter_add']);
    const merged = mergeScalarEffects(schedule, 8);
    // Adam reads its step count, so the counters before it merge and run before it; the running
    // sum and the cursor after it form the second run.
    expect(labels(merged.filter((n) => n.isEffect))).to.deep.equal(['counter_add+counter_add', 'adam_update', 'accumulate+counter_add']);
    expect(merged.filter((n) => !n.isEffect)).to.deep.equal(schedule.filter((n) => !n.isEffect));
    const [first] = merged.filter((n) => n.op === scalarEffectsOp);
    expect(first!.inputs.map((t) => t.name)).to.deep.equal(['counter', 'adam.step']);
  });

  it('splits a run at the storage buffers one kernel may bind', () => {
    const g = new Graph();
    const counters = [0, 1, 2, 3, 4].map((i) => g.variable(new Variable(`c${i}`, [1], 'i32')));
    for (const c of counters) counterAdd(c, 1);
    counterAdd(counters[0]!, 2); // the same counter again: no new binding
    const merged = mergeScalarEffects(scheduleStep(g, []), 2);
    expect(merged.map((n) => n.inputs.map((t) => t.name))).to.deep.equal([
      ['c0', 'c1'],
      ['c2', 'c3'],
      ['c4', 'c0'],
    ]);
  });

  it('the merged reference applies its effects in order', () => {
    const attrs = {
      effects: [
        { op: counterAddOp, attrs: { amount: 2 }, inputs: [0] },
        { op: counterAddOp, attrs: { amount: -5 }, inputs: [0] },
      ],
    };
    const out = scalarEffectsOp.cpu([{ shape: [1], dtype: 'i32', data: Float64Array.of(10) }], attrs, { shape: [], dtype: 'f32' });
    expect([...out.data]).to.deep.equal([7]);
  });

  it('gives the counters, sums and weights of one dispatch per effect, in fewer dispatches', async () => {
    const device = await testDevice();
    const runs = [];
    for (const fusion of [true, false]) {
      const step = adamStep();
      const program = await Program.compile(device, step.g, { fusion });
      program.run({ x: randomArray(18, 3) }, { steps: 3 });
      const kernels = program.kernels.map((k) => k.label);
      runs.push({ kernels, w: await step.w.variable!.read(), sums: await step.sums.read(), counters: [await step.cursor.read(), await step.counter.read()] });
    }
    const [fused, plain] = runs as [(typeof runs)[0], (typeof runs)[0]];
    expect(fused.kernels.filter((l) => l === 'scalar_effects')).to.have.length(2);
    expect(fused.kernels.filter((l) => l === 'counter_add' || l === 'accumulate')).to.have.length(0);
    expect(plain.kernels.filter((l) => l === 'counter_add')).to.have.length(3);
    expect(plain.kernels.filter((l) => l === 'accumulate')).to.have.length(1);
    expect(fused.counters.map((c) => [...c])).to.deep.equal([[18], [3]]);
    expect(plain.counters.map((c) => [...c])).to.deep.equal([[18], [3]]);
    expectClose(fused.sums, plain.sums, 'running sums', 1e-6, 1e-7);
    expectClose(fused.w, plain.w, 'weights after 3 Adam steps', 1e-6, 1e-7);
  });

  it('writes its constants as WGSL literals that read back as the same f32 and i32', () => {
    for (const x of [1 / 64, 1 / 3, 1e-7, 3, -0.5, 1e30, 0.1]) {
      const text = f32Literal(x);
      expect(text).to.match(/^-?[0-9.]+(e[-+]?[0-9]+)?f$/);
      expect(Math.fround(Number(text.slice(0, -1)))).to.equal(Math.fround(x));
    }
    expect(i32Literal(-3)).to.equal('-3i');
    expect(() => f32Literal(Number.NaN)).to.throw(/not a finite f32/);
    expect(() => i32Literal(1.5)).to.throw(/not an i32/);
  });
});
