// The memory plan alone: intermediates share buffers when their lifetimes do not overlap, results do
// not change, and the peak the program reports equals the bytes it actually allocated.
import { expect } from 'chai';
import { evaluateCpu, Graph, Program } from '../src/node';
import { planMemory } from '../src/graph/memory-plan';
import { scheduleStep } from '../src/graph/program';
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

describe('memory planning', () => {
  it('a tensor never shares a buffer with one that is live at the same time', () => {
    const { g, loss, dw } = chain(6);
    const schedule = scheduleStep(g, [loss, dw]);
    const plan = planMemory(schedule, new Set([loss, dw]));
    const time = new Map(schedule.map((t, i) => [t, i]));
    const lastUse = new Map<unknown, number>();
    schedule.forEach((t, i) => t.inputs.forEach((x) => lastUse.set(x, i)));
    for (const slot of plan.slots) {
      const tenants = [...slot.tenants].sort((a, b) => time.get(a)! - time.get(b)!);
      for (let i = 1; i < tenants.length; i++) {
        const previousEnd = lastUse.get(tenants[i - 1]!) ?? time.get(tenants[i - 1]!)!;
        expect(previousEnd, `${tenants[i - 1]} still live when ${tenants[i]} is written`).to.be.below(time.get(tenants[i]!)!);
      }
    }
    const planned = plan.slots.reduce((a, s) => a + s.bytes, 0);
    expect(planned).to.be.below(plan.unplannedBytes / 2);
  });

  it('results equal the CPU reference, and the reported peak equals the bytes allocated', async () => {
    const device = await testDevice();
    const { g, x, w, loss, dw } = chain(4);
    const before = device.stats.bytesAllocated;
    const program = await Program.compile(device, g, { outputs: [loss, dw] });
    // Variables are allocated on first use by this program too, so the delta is the whole step.
    expect(device.stats.bytesAllocated - before).to.equal(program.stats.peakBytes);
    const xs = randomArray(64 * 32, 6);
    program.run({ x: xs });
    const cpu = evaluateCpu([loss, dw], new Map([[x, xs], [w, randomArray(32 * 32, 5, -0.2, 0.2)]]));
    expectClose(await program.read(loss), cpu.get(loss)!.data, 'loss', 1e-4, 1e-6);
    expectClose(await program.read(dw), cpu.get(dw)!.data, 'dw', 1e-3, 1e-5);
    expect(program.stats.slotBytes).to.be.below(program.stats.unplannedBytes);
    const text = program.describe();
    expect(text).to.match(/matmul/);
    expect(text).to.match(/peak .* MiB/);
  });
});
