// One SGD dispatch for every parameter: the fusion pass packs a model's parameters and momentum
// buffers and pins the gradients with one layout. Training must give the same weights as the
// per-parameter updates, and a model whose variables already live elsewhere keeps the old updates.
import { expect } from 'chai';
import { Graph, optim, Program, Variable } from '../src/node';
import { testDevice } from './helpers/device';
import { expectClose, randomArray } from './helpers/numeric';

const SHAPES: Record<string, number[]> = { w1: [5, 7], b1: [7], w2: [7, 3], b2: [3] };

/** A two-layer regression with SGD (momentum, Nesterov or plain) as one compiled training step. */
async function trainingStep(fusion: boolean, sgd: optim.SgdOptions, prepare?: (vars: Variable[]) => void) {
  const device = await testDevice();
  const g = new Graph();
  const x = g.input('x', [9, 5]);
  const y = g.input('y', [9, 3]);
  const params = Object.entries(SHAPES).map(([name, shape], i) =>
    g.param(
      name,
      shape,
      randomArray(
        shape.reduce((a, b) => a * b, 1),
        40 + i,
        -0.5,
        0.5,
      ),
    ),
  );
  const [w1, b1, w2, b2] = params as [typeof x, typeof x, typeof x, typeof x];
  const hidden = g.relu(g.add(g.matmul(x, w1), b1));
  const loss = g.mean(g.square(g.sub(g.add(g.matmul(hidden, w2), b2), y)));
  const optimizer = optim.sgd(sgd);
  optimizer.addUpdates(g, params, g.grad(loss, params));
  const variables = [...params.map((p) => p.variable!), ...optimizer.stateVariables()];
  prepare?.(variables);
  const program = await Program.compile(device, g, { outputs: [loss], fusion });
  const feeds = { x: randomArray(45, 1), y: randomArray(27, 2) };
  program.run(feeds, { steps: 4 });
  return { program, values: await Promise.all(variables.map((v) => v.read())), names: variables.map((v) => v.name) };
}

describe('fusion: every parameter updated by one SGD dispatch', () => {
  for (const sgd of [{ lr: 0.1, momentum: 0.9 }, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 }, { lr: 0.05 }]) {
    it(`gives the weights of per-parameter updates (${JSON.stringify(sgd)})`, async () => {
      const fused = await trainingStep(true, sgd);
      const plain = await trainingStep(false, sgd);
      fused.values.forEach((v, i) => expectClose(v, plain.values[i]!, fused.names[i]!, 1e-5, 1e-6));
      const count = (p: Program, label: string) =>
        p
          .describe()
          .split('\n')
          .filter((l) => l.includes(` ${label} `)).length;
      expect(count(fused.program, 'sgd_update_flat')).to.equal(1);
      expect(count(fused.program, 'sgd_update')).to.equal(0);
      expect(count(plain.program, 'sgd_update')).to.equal(4);
      expect(fused.program.stats.dispatchesPerStep).to.be.lessThan(plain.program.stats.dispatchesPerStep);
    });
  }

  it('keeps per-parameter updates when a parameter already has its own buffer', async () => {
    const device = await testDevice();
    const fused = await trainingStep(true, { lr: 0.1, momentum: 0.9 }, (vars) => vars[0]!.bindingOn(device));
    const plain = await trainingStep(false, { lr: 0.1, momentum: 0.9 });
    expect(fused.program.describe()).not.to.include('sgd_update_flat');
    fused.values.forEach((v, i) => expectClose(v, plain.values[i]!, fused.names[i]!, 1e-5, 1e-6));
  });
});
