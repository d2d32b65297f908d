// The fusion pass's elementwise chains: fused kernels equal the unfused program and the CPU reference,
// and take fewer dispatches; values read twice or fetched are never absorbed. The epilogue and
// log_softmax + nll rules have their own files (fusion-*.test.ts).
import { expect } from 'chai';
import { evaluateCpu, Graph, Program, type SymbolicTensor as Tensor } from '../src/node';
import { testDevice } from './helpers/device';
import { expectClose, randomArray } from './helpers/numeric';

interface Case {
  inputs: { name: string; shape: number[]; lo?: number; hi?: number }[];
  build: (g: Graph, ...xs: Tensor[]) => Tensor[];
}

/** Runs the case with fusion on and off; checks both against the CPU reference; returns dispatch counts. */
async function runBothWays(c: Case): Promise<{ fused: number; unfused: number }> {
  const device = await testDevice();
  const g = new Graph();
  const xs = c.inputs.map((spec) => g.input(spec.name, spec.shape));
  const outputs = c.build(g, ...xs);
  const data = c.inputs.map((spec, i) =>
    randomArray(
      spec.shape.reduce((a, b) => a * b, 1),
      5 + i,
      spec.lo ?? -1,
      spec.hi ?? 1,
    ),
  );
  const feeds = Object.fromEntries(c.inputs.map((spec, i) => [spec.name, data[i]!]));
  const cpu = evaluateCpu(outputs, new Map(xs.map((x, i) => [x, data[i]!])));
  const counts: number[] = [];
  for (const fusion of [true, false]) {
    const program = await Program.compile(device, g, { outputs, fusion });
    program.run(feeds);
    for (const out of outputs) expectClose(await program.read(out), cpu.get(out)!.data, `${out} with fusion ${fusion ? 'on' : 'off'}`, 2e-5, 1e-5);
    counts.push(program.stats.dispatchesPerStep);
  }
  return { fused: counts[0]!, unfused: counts[1]! };
}

describe('fusion: elementwise chains', () => {
  it('a chain with a broadcast input and a scalar becomes one kernel', async () => {
    const counts = await runBothWays({
      inputs: [
        { name: 'x', shape: [5, 67] },
        { name: 'y', shape: [1, 67] },
      ],
      build: (g, x, y) => [g.sigmoid(g.add(g.mul(x, 2), g.pow(y!, 3)))],
    });
    expect(counts).to.deep.equal({ fused: 1, unfused: 4 });
  });

  it('the same op twice with different exponents, and snippets with private helpers (log), stay apart', async () => {
    const counts = await runBothWays({
      inputs: [{ name: 'x', shape: [3, 7, 5], lo: 0.2, hi: 2 }],
      build: (g, x) => [g.log(g.add(g.pow(g.pow(x!, 3), 0.5), g.log(x!)))],
    });
    // log(x) and pow(pow(x)) both read x, so the whole expression is one kernel over x and no constants.
    expect(counts).to.deep.equal({ fused: 1, unfused: 5 });
  });

  it('a value read twice stays materialised; its readers still fuse', async () => {
    const counts = await runBothWays({
      inputs: [{ name: 'x', shape: [129] }],
      build: (g, x) => {
        const a = g.exp(x!);
        return [g.mul(g.add(a, 1), g.tanh(a))];
      },
    });
    expect(counts).to.deep.equal({ fused: 2, unfused: 4 });
  });

  it('a fetched intermediate is not absorbed', async () => {
    const counts = await runBothWays({
      inputs: [
        { name: 'x', shape: [4, 9] },
        { name: 'y', shape: [4, 9] },
      ],
      build: (g, x, y) => {
        const a = g.sub(x!, y!);
        return [a, g.relu(a)];
      },
    });
    expect(counts).to.deep.equal({ fused: 2, unfused: 2 });
  });

  it('a chain stops growing at three inputs (the broadcast metadata holds three)', async () => {
    const counts = await runBothWays({
      inputs: [0, 1, 2, 3].map((i) => ({ name: `x${i}`, shape: [2, 3] })),
      build: (g, x0, x1, x2, x3) => [g.add(g.add(g.add(x0!, x1!), x2!), x3!)],
    });
    expect(counts).to.deep.equal({ fused: 2, unfused: 3 });
  });

  it('gradients of a chain are equal with fusion on and off', async () => {
    const counts = await runBothWays({
      inputs: [
        { name: 'x', shape: [6, 11] },
        { name: 'w', shape: [11] },
      ],
      build: (g, x, w) => {
        const loss = g.mean(g.square(g.tanh(g.mul(x!, w!))));
        return [loss, ...g.grad(loss, [x!, w!])];
      },
    });
    expect(counts.fused).to.be.lessThan(counts.unfused);
  });
});
