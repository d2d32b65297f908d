// log_softmax + nll_loss and their backward as one kernel each: the fused ops against their CPU
// reference and against the unfused pair's references, and the two fusion rules on small training
// graphs (same loss and same updated weights with fusion on and off, fewer dispatches on; a
// log_softmax that something else reads is kept).
import { expect } from 'chai';
import { evaluateCpu, Graph, Program, Variable, type HostArray, type SymbolicTensor as Tensor } from '../src/node';
import { logSoftmaxGradOp } from '../src/ops/log-softmax';
import { logSoftmaxNllOp } from '../src/ops/log-softmax-nll';
import { logSoftmaxNllGradOp } from '../src/ops/log-softmax-nll-grad';
import { nllLossGradOp } from '../src/ops/nll-loss';
import { sgdUpdate } from '../src/ops/sgd-update';
import { checkForward } from './helpers/check-op';
import { testDevice } from './helpers/device';
import { expectClose, randomArray } from './helpers/numeric';

/** Labels in [0, classes), deterministic, every class hit for large enough batches. */
const labelsFor = (batch: number, classes: number): Int32Array => Int32Array.from({ length: batch }, (_, b) => (b * 7 + 3) % classes);

/** The kernel labels of a compiled step, in order (the first column of describe()). */
function kernelLabels(program: Program): string[] {
  return program
    .describe()
    .split('\n')
    .slice(0, program.stats.dispatchesPerStep)
    .map((line) => line.trim().split(/\s+/)[1]!);
}

/** The unfused pair's backward, as autodiff builds it: log_softmax_grad(ls, nll_loss_grad(seed, labels)). */
function unfusedGrad(g: Graph, x: Tensor, seed: Tensor, labels: Tensor): Tensor {
  const ls = g.logSoftmax(x, 1);
  const dls = g.apply(nllLossGradOp, [seed, labels], { classes: x.shape[1]! });
  return g.apply(logSoftmaxGradOp, [ls, dls], { axis: 1 });
}

/** Logits with ±80 everywhere and one 1000 per row: a naive exp would overflow f32. */
function extremeLogits(batch: number, classes: number): Float32Array {
  const x = new Float32Array(batch * classes).map((_, i) => (i % 3 === 0 ? 80 : -80));
  for (let b = 0; b < batch; b += 2) x[b * classes + (b % classes)] = 1000;
  return x;
}

describe('fused log_softmax_nll and log_softmax_nll_grad ops', () => {
  const shapes: [number, number][] = [
    [1, 10],
    [3, 13],
    [65, 10],
    [65, 13],
    [300, 10],
    [3, 100],
  ];

  it('the CPU references equal the unfused pair (nll_loss of log_softmax, and its backward)', () => {
    for (const [batch, classes] of shapes) {
      const g = new Graph();
      const x = g.input('x', [batch, classes]);
      const labels = g.input('labels', [batch], 'i32');
      const seed = g.input('seed', []);
      const outs = [
        g.apply(logSoftmaxNllOp, [x, labels], {}),
        g.nllLoss(g.logSoftmax(x, 1), labels),
        g.apply(logSoftmaxNllGradOp, [x, seed, labels], {}),
        unfusedGrad(g, x, seed, labels),
      ];
      for (const data of [randomArray(batch * classes, batch + classes, -6, 6), extremeLogits(batch, classes)]) {
        const values = evaluateCpu(
          outs,
          new Map<Tensor, ArrayLike<number>>([
            [x, data],
            [labels, labelsFor(batch, classes)],
            [seed, [0.7]],
          ]),
        );
        const [fused, pair, fusedGrad, pairGrad] = outs.map((t) => values.get(t)!.data);
        expectClose(fused!, pair!, `log_softmax_nll CPU [${batch},${classes}]`, 1e-12, 1e-12);
        expectClose(fusedGrad!, pairGrad!, `log_softmax_nll_grad CPU [${batch},${classes}]`, 1e-9, 1e-12);
      }
    }
  });

  it('match the CPU reference on the GPU: batch 1, 3, 65, 300, classes 10, 13, 100 (rows and wide kernels)', async () => {
    for (const [batch, classes] of shapes) {
      const labels = { shape: [batch], data: labelsFor(batch, classes), dtype: 'i32' } as const;
      await checkForward((g, x, y) => g.apply(logSoftmaxNllOp, [x!, y!], {}), [{ shape: [batch, classes], lo: -6, hi: 6 }, labels], {
        label: `log_softmax_nll [${batch},${classes}]`,
        rtol: 1e-5,
        atol: 1e-5,
      });
      await checkForward(
        (g, x, s, y) => g.apply(logSoftmaxNllGradOp, [x!, s!, y!], {}),
        [{ shape: [batch, classes], lo: -6, hi: 6 }, { shape: [], data: Float32Array.of(0.7) }, labels],
        {
          label: `log_softmax_nll_grad [${batch},${classes}]`,
          rtol: 1e-4,
          atol: 1e-6,
        },
      );
    }
  });

  it('stay finite and exact for large logits (±80, and 1000)', async () => {
    for (const [batch, classes] of [
      [3, 10],
      [65, 13],
      [2, 100],
    ] as const) {
      const data = extremeLogits(batch, classes);
      const labels = { shape: [batch], data: labelsFor(batch, classes), dtype: 'i32' } as const;
      await checkForward((g, x, y) => g.apply(logSoftmaxNllOp, [x!, y!], {}), [{ shape: [batch, classes], data }, labels], {
        label: `log_softmax_nll ±80 [${batch},${classes}]`,
      });
      await checkForward(
        (g, x, s, y) => g.apply(logSoftmaxNllGradOp, [x!, s!, y!], {}),
        [{ shape: [batch, classes], data }, { shape: [], data: Float32Array.of(1) }, labels],
        {
          label: `log_softmax_nll_grad ±80 [${batch},${classes}]`,
          atol: 1e-7,
        },
      );
    }
  });

  it('a label outside [0, C) gives a NaN loss and a NaN gradient row, as the unfused pair', async () => {
    const device = await testDevice();
    for (const [classes, bad] of [
      [10, -1],
      [13, 13],
      [100, 1000000],
    ] as const) {
      const batch = 3;
      const g = new Graph();
      const x = g.constant(randomArray(batch * classes, 4, -3, 3), [batch, classes]);
      const labels = g.constant(Int32Array.of(1, bad, 2));
      const seed = g.constant(1);
      const outputs = [
        g.apply(logSoftmaxNllOp, [x, labels], {}),
        g.apply(logSoftmaxNllGradOp, [x, seed, labels], {}),
        g.nllLoss(g.logSoftmax(x, 1), labels),
        unfusedGrad(g, x, seed, labels),
      ];
      const program = await Program.compile(device, g, { outputs, fusion: false });
      program.run();
      const [loss, dx, pairLoss, pairDx] = await Promise.all(outputs.map((t) => program.read(t)));
      expect(loss![0], `loss with label ${bad}`).to.be.NaN;
      expect(pairLoss![0], `unfused loss with label ${bad}`).to.be.NaN;
      for (const v of dx!.slice(classes, 2 * classes)) expect(v, `gradient row of label ${bad}`).to.be.NaN;
      for (const v of pairDx!.slice(classes, 2 * classes)) expect(v, `unfused gradient row of label ${bad}`).to.be.NaN;
      const valid = (a: HostArray) => [...a.slice(0, classes), ...a.slice(2 * classes)];
      expectClose(valid(dx!), valid(pairDx!), `valid gradient rows with label ${bad}`, 1e-4, 1e-6);
    }
  });

  it('check their shapes with errors naming the op', () => {
    const g = new Graph();
    const x = g.input('x', [4, 10]);
    const labels = g.input('labels', [4], 'i32');
    expect(() => g.apply(logSoftmaxNllOp, [x, g.input('y5', [5], 'i32')], {})).to.throw('log_softmax_nll: labels have 5 entries but logits have 4 rows');
    expect(() => g.apply(logSoftmaxNllOp, [g.input('x3', [4, 10, 2]), labels], {})).to.throw('log_softmax_nll: logits must be [batch, classes], got [4,10,2]');
    expect(() => g.apply(logSoftmaxNllGradOp, [x, g.input('s', [1]), labels], {})).to.throw(
      'log_softmax_nll_grad: the loss gradient must be an f32 scalar, got f32[1]',
    );
    expect(() => g.apply(logSoftmaxNllGradOp, [x, g.input('s2', []), g.input('yf', [4])], {})).to.throw('log_softmax_nll_grad: labels must be i32, got f32');
    expect(() => g.grad(g.apply(logSoftmaxNllOp, [x, labels], {}), [x])).to.throw("grad: op 'log_softmax_nll' has no gradient rule");
  });
});

interface TrainStep {
  loss: HostArray;
  weight: Float32Array;
  bias: Float32Array;
  extra: HostArray[];
  kernels: string[];
}

/**
 * linear -> loss(logits, labels), its gradient and a plain SGD update of both parameters, compiled
 * with fusion on or off and run once on fixed data. `fetch` adds outputs read after the step.
 */
async function trainStep(options: {
  fusion: boolean;
  loss: (g: Graph, logits: Tensor, labels: Tensor) => Tensor;
  fetch?: (g: Graph, logits: Tensor, labels: Tensor) => Tensor[];
  batch?: number;
  classes?: number;
}): Promise<TrainStep> {
  const { batch = 5, classes = 13 } = options;
  const features = 7;
  const weight = new Variable('weight', [features, classes], 'f32', { data: randomArray(features * classes, 11, -2, 2), trainable: true });
  const bias = new Variable('bias', [classes], 'f32', { data: randomArray(classes, 12), trainable: true });
  const hyper = new Variable('hyper', [4], 'f32', { data: Float32Array.of(0.5, 0, 0, 0) });
  const g = new Graph();
  const x = g.input('x', [batch, features]);
  const labels = g.input('labels', [batch], 'i32');
  const logits = g.add(g.matmul(x, g.variable(weight)), g.variable(bias));
  const loss = options.loss(g, logits, labels);
  const [dw, db] = g.grad(loss, [g.variable(weight), g.variable(bias)]);
  sgdUpdate(g.variable(weight), dw!, g.variable(hyper), null, false);
  sgdUpdate(g.variable(bias), db!, g.variable(hyper), null, false);
  const extra = options.fetch?.(g, logits, labels) ?? [];
  const program = await Program.compile(await testDevice(), g, { outputs: [loss, ...extra], fusion: options.fusion });
  program.run({ x: randomArray(batch * features, 13, -1, 1), labels: labelsFor(batch, classes) });
  return {
    loss: await program.read(loss),
    weight: (await weight.read()) as Float32Array,
    bias: (await bias.read()) as Float32Array,
    extra: await Promise.all(extra.map((t) => program.read(t))),
    kernels: kernelLabels(program),
  };
}

function expectSameStep(on: TrainStep, off: TrainStep, what: string): void {
  expectClose(on.loss, off.loss, `${what}: loss`, 1e-5, 1e-6);
  expectClose(on.weight, off.weight, `${what}: updated weight`, 1e-5, 1e-6);
  expectClose(on.bias, off.bias, `${what}: updated bias`, 1e-5, 1e-6);
  on.extra.forEach((v, i) => expectClose(v, off.extra[i]!, `${what}: fetched output ${i}`, 1e-5, 1e-6));
}

const TAIL = ['log_softmax', 'nll_loss', 'nll_loss_grad', 'log_softmax_grad', 'log_softmax_nll', 'log_softmax_nll_grad'];
const tailOf = (step: { kernels: string[] }) => step.kernels.filter((k) => TAIL.includes(k));

describe('fusion rules: log_softmax + nll_loss and their backward', () => {
  const nll = (g: Graph, logits: Tensor, labels: Tensor) => g.nllLoss(g.logSoftmax(logits, 1), labels);

  it('a training step: same loss and updated weights with fusion on and off, two kernels instead of four', async () => {
    for (const [batch, classes] of [
      [5, 13],
      [65, 10],
    ] as const) {
      const on = await trainStep({ fusion: true, loss: nll, batch, classes });
      const off = await trainStep({ fusion: false, loss: nll, batch, classes });
      expectSameStep(on, off, `[${batch},${classes}]`);
      expect(tailOf(off)).to.deep.equal(['log_softmax', 'nll_loss', 'nll_loss_grad', 'log_softmax_grad']);
      expect(tailOf(on)).to.deep.equal(['log_softmax_nll', 'log_softmax_nll_grad']);
      expect(on.kernels.length).to.be.at.most(off.kernels.length - 2);
    }
  });

  it('cross_entropy is the same two graph ops, so the same rules fuse it', async () => {
    const ce = (g: Graph, logits: Tensor, labels: Tensor) => g.crossEntropy(logits, labels);
    const on = await trainStep({ fusion: true, loss: ce });
    const off = await trainStep({ fusion: false, loss: ce });
    expectSameStep(on, off, 'cross_entropy');
    expect(tailOf(on)).to.deep.equal(['log_softmax_nll', 'log_softmax_nll_grad']);
  });

  it('a log_softmax that is also fetched is kept (the loss stays nll_loss); the backward still fuses', async () => {
    let ls: Tensor | null = null;
    const keepLs = (g: Graph, logits: Tensor, labels: Tensor) => g.nllLoss((ls = g.logSoftmax(logits, 1)), labels);
    const fetchLs = () => [ls!];
    const on = await trainStep({ fusion: true, loss: keepLs, fetch: fetchLs });
    const off = await trainStep({ fusion: false, loss: keepLs, fetch: fetchLs });
    expectSameStep(on, off, 'fetched log_softmax');
    expect(tailOf(on)).to.deep.equal(['log_softmax', 'nll_loss', 'log_softmax_nll_grad']);
  });

  it('evaluation, where accuracy reads the log_softmax too, keeps log_softmax and nll_loss', async () => {
    const on = await evaluationStep(true);
    const off = await evaluationStep(false);
    expectClose(on.values[0]!, off.values[0]!, 'evaluation loss', 1e-5, 1e-6);
    expect(on.values[1]![0]).to.equal(off.values[1]![0]);
    expect(tailOf(on)).to.deep.equal(['log_softmax', 'nll_loss']);
  });
});

/** Evaluation as the trainer builds it: loss and accuracy both read the model's log_softmax output, no gradient. */
async function evaluationStep(fusion: boolean): Promise<{ values: HostArray[]; kernels: string[] }> {
  const g = new Graph();
  const x = g.input('x', [6, 10]);
  const labels = g.input('labels', [6], 'i32');
  const ls = g.logSoftmax(x, 1);
  const outputs = [g.nllLoss(ls, labels), g.accuracy(ls, labels)];
  const program = await Program.compile(await testDevice(), g, { outputs, fusion });
  program.run({ x: randomArray(60, 21, -3, 3), labels: labelsFor(6, 10) });
  return { values: await Promise.all(outputs.map((t) => program.read(t))), kernels: kernelLabels(program) };
}
