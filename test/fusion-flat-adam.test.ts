// Adam's updates fused: every parameter in one adam_update_flat dispatch (parameters, m, v and
// gradients in four buffers with one layout, the decaying parameters first), and gradient clipping's
// factor read by the updates instead of a multiply per gradient, its norm one sum_squares_span
// dispatch over the pinned gradients. Training must give the weights of the unfused step, and a model
// whose variables already live elsewhere keeps per-parameter updates (still reading the factor, the
// norm of its nine gradients in two sum_squares dispatches).
import { expect } from 'chai';
import { clipGradNorm, Graph, optim, Program, type Variable } from '../src/node';
import { testDevice } from './helpers/device';
import { expectClose, randomArray } from './helpers/numeric';

// Nine parameters, the biases and the output scale undecayed by AdamW: more than one sum_squares
// dispatch binds (7), and decaying and undecaying parameters interleaved in the model's order.
const SHAPES = [[5, 7], [7], [7, 3], [3], [3, 3], [3], [3, 2], [2], [1]];

interface StepOptions {
  optimizer: 'adam' | 'adamw';
  maxNorm: number | null;
  fusion: boolean;
  prepare?: (vars: Variable[]) => void;
}

async function trainingStep({ optimizer, maxNorm, fusion, prepare }: StepOptions) {
  const device = await testDevice();
  const g = new Graph();
  const x = g.input('x', [9, 5]);
  const y = g.input('y', [9, 2]);
  const params = SHAPES.map((shape, i) =>
    g.param(
      `p${i}`,
      shape,
      randomArray(
        shape.reduce((a, b) => a * b, 1),
        60 + i,
        -0.5,
        0.5,
      ),
    ),
  );
  const [w1, b1, w2, b2, w3, b3, w4, b4, s] = params as [typeof x, typeof x, typeof x, typeof x, typeof x, typeof x, typeof x, typeof x, typeof x];
  let h = g.tanh(g.add(g.matmul(x, w1), b1));
  h = g.tanh(g.add(g.matmul(h, w2), b2));
  h = g.tanh(g.add(g.matmul(h, w3), b3));
  const loss = g.mean(g.square(g.sub(g.mul(g.add(g.matmul(h, w4), b4), s), y)));
  const grads = g.grad(loss, params);
  const clipped = maxNorm === null ? null : clipGradNorm(grads, maxNorm);
  const opt = optimizer === 'adam' ? optim.adam({ lr: 0.05, weightDecay: 0.01 }) : optim.adamw({ lr: 0.05, weightDecay: 0.1 });
  opt.addUpdates(g, params, clipped?.grads ?? grads);
  const variables = [...params.map((p) => p.variable!), ...opt.stateVariables()];
  prepare?.(variables);
  const program = await Program.compile(device, g, { outputs: [loss, ...(clipped ? [clipped.norm] : [])], fusion });
  program.run({ x: randomArray(45, 1, -2, 2), y: randomArray(18, 2, -2, 2) }, { steps: 3 });
  const norm = clipped ? (await program.read(clipped.norm))[0]! : null;
  return { program, norm, values: await Promise.all(variables.map((v) => v.read())), names: variables.map((v) => v.name) };
}

const count = (p: Program, label: string) =>
  p
    .describe()
    .split('\n')
    .filter((l) => l.includes(` ${label} `)).length;

describe('fusion: Adam updates in one dispatch, clipping folded in', () => {
  const cases: [string, Omit<StepOptions, 'fusion'>][] = [
    ['Adam (L2 decay)', { optimizer: 'adam', maxNorm: null }],
    ['AdamW, biases undecayed', { optimizer: 'adamw', maxNorm: null }],
    ['AdamW with every step clipped', { optimizer: 'adamw', maxNorm: 0.01 }],
    ['AdamW with a clipping limit never reached', { optimizer: 'adamw', maxNorm: 100 }],
  ];
  for (const [label, options] of cases) {
    it(`${label}: one adam_update_flat gives the weights, m and v of per-parameter updates`, async () => {
      const fused = await trainingStep({ ...options, fusion: true });
      const plain = await trainingStep({ ...options, fusion: false });
      fused.values.forEach((v, i) => expectClose(v, plain.values[i]!, fused.names[i]!, 1e-5, 1e-6));
      expect(count(fused.program, 'adam_update_flat')).to.equal(1);
      expect(count(fused.program, 'adam_update')).to.equal(0);
      expect(count(plain.program, 'adam_update')).to.equal(SHAPES.length);
      if (options.maxNorm !== null) {
        expect(fused.norm).to.be.closeTo(plain.norm!, 1e-5 * plain.norm!);
        expect(fused.norm! > options.maxNorm).to.equal(options.maxNorm < 1);
        expect(count(fused.program, 'sum_squares_span')).to.equal(1);
        expect(count(fused.program, 'sum_squares')).to.equal(0);
        expect(count(plain.program, 'sum_squares')).to.equal(2);
        // The unfused step multiplies each gradient by the factor; the fused one does not.
        expect(count(plain.program, 'mul')).to.be.at.least(SHAPES.length);
      }
      // Nine updates become one; with clipping, the nine multiplies go too.
      const saved = SHAPES.length - 1 + (options.maxNorm === null ? 0 : SHAPES.length);
      expect(fused.program.stats.dispatchesPerStep).to.be.at.most(plain.program.stats.dispatchesPerStep - saved);
    });
  }

  it('keeps per-parameter updates, reading the clipping factor, when a parameter already has its own buffer', async () => {
    const device = await testDevice();
    const fused = await trainingStep({ optimizer: 'adamw', maxNorm: 0.01, fusion: true, prepare: (vars) => vars[0]!.bindingOn(device) });
    const plain = await trainingStep({ optimizer: 'adamw', maxNorm: 0.01, fusion: false });
    expect(count(fused.program, 'adam_update_flat')).to.equal(0);
    expect(count(fused.program, 'adam_update')).to.equal(SHAPES.length);
    expect(count(fused.program, 'sum_squares')).to.equal(2);
    expect(fused.program.stats.dispatchesPerStep).to.be.at.most(plain.program.stats.dispatchesPerStep - SHAPES.length);
    fused.values.forEach((v, i) => expectClose(v, plain.values[i]!, fused.names[i]!, 1e-5, 1e-6));
  });
});
