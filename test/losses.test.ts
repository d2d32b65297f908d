import { expect } from 'chai';
import { Graph, Program, ShapeError, type HostArray, type SymbolicTensor as Tensor } from '../src/node';
import { checkForward, checkGradient, type InputSpec } from './helpers/check-op';
import { testDevice } from './helpers/device';
import { expectClose, randomArray } from './helpers/numeric';

type G = Graph;
type T = Tensor;

/** Builds outputs from constants, runs them once on the GPU and reads them back. */
async function evaluate(build: (g: G) => T[]): Promise<HostArray[]> {
  const g = new Graph();
  const outputs = build(g);
  const program = await Program.compile(await testDevice(), g, { outputs });
  program.run();
  return Promise.all(outputs.map((t) => program.read(t)));
}

const labelSpec = (...labels: number[]): InputSpec => ({ shape: [labels.length], data: Int32Array.from(labels), dtype: 'i32' });

/** Labels in [0, classes), deterministic. */
const someLabels = (batch: number, classes: number): InputSpec => labelSpec(...Array.from({ length: batch }, (_, b) => (b * 7 + 3) % classes));

describe('softmax and log_softmax', () => {
  const ops = ['softmax', 'logSoftmax'] as const;

  it('match the CPU reference on odd shapes and any axis', async () => {
    for (const op of ops) {
      const cases: [number[], number][] = [
        [[3, 7], -1],
        [[5, 1], -1], // rows of one: softmax 1, log_softmax 0
        [[4, 5, 3], 0],
        [[4, 5, 3], 1],
        [[4, 5, 3], 2],
        [[300, 10], 1], // many short rows: one invocation per row
        [[2, 1000], 1], // a row of 1000 classes: one workgroup per row
        [[1000], 0],
        [[100, 3], 0], // few long rows with a stride: the wide kernel with INNER > 1
        [[7], 0],
      ];
      for (const [shape, axis] of cases) {
        await checkForward((g, x) => g[op](x!, axis), [{ shape, lo: -4, hi: 4 }], {
          label: `${op}${JSON.stringify(shape)} axis ${axis}`,
          rtol: 1e-5,
          atol: 2e-6,
        });
      }
    }
  });

  it('stay finite and exact for extreme logits (±80, and ±1000 where a naive exp overflows f32)', async () => {
    const row = Float32Array.of(80, -80, 0, 80, -1000, 1000, 999, 1000);
    const long = new Float32Array(1000).map((_, i) => (i % 3 === 0 ? 80 : -80));
    long[10] = 1000;
    for (const op of ops) {
      await checkForward((g, x) => g[op](x!), [{ shape: [2, 4], data: row }], { label: `${op} ±80` });
      await checkForward((g, x) => g[op](x!, 0), [{ shape: [4, 2], data: row }], { label: `${op} ±80 axis 0` });
      await checkForward((g, x) => g[op](x!), [{ shape: [1, 1000], data: long }], { label: `${op} ±80 wide`, rtol: 1e-5, atol: 1e-6 });
      const [small, wide] = await evaluate((g) => [g[op](g.constant(row, [2, 4])), g[op](g.constant(long, [1, 1000]))]);
      for (const v of [...small!, ...wide!]) expect(Number.isFinite(v), `${op}: ${v}`).to.equal(true);
    }
    const [sm, lsm] = await evaluate((g) => {
      const x = g.constant(Float32Array.of(80, -80), [1, 2]);
      return [g.softmax(x), g.logSoftmax(x)];
    });
    expectClose(sm!, [1, 0], 'softmax of [80, -80]', 0, 1e-7);
    expectClose(lsm!, [0, -160], 'log_softmax of [80, -80]', 1e-6, 1e-6);
  });

  it('gradients match finite differences on both axes and both kernels', async () => {
    for (const op of ops) {
      await checkGradient((g, x) => g[op](x!), [{ shape: [3, 5] }]);
      await checkGradient((g, x) => g[op](x!, 0), [{ shape: [4, 3] }]);
      await checkGradient((g, x) => g[op](x!, 1), [{ shape: [2, 3, 4] }]);
      await checkGradient((g, x) => g[op](x!, -1), [{ shape: [2, 100] }]); // wide backward
    }
  });

  it('the dedicated backward kernels match their CPU reference', async () => {
    for (const op of ops) {
      for (const [shape, axis] of [
        [[6, 9], 1],
        [[4, 5, 3], 0],
        [[3, 700], 1],
        [[300, 4], 1],
      ] as const) {
        const w = randomArray(
          shape.reduce((a, b) => a * b, 1),
          5,
        );
        await checkForward((g, x) => g.grad(g.sum(g.mul(g[op](x!, axis), g.constant(w, shape))), [x!])[0]!, [{ shape, lo: -3, hi: 3 }], {
          label: `${op} backward ${JSON.stringify(shape)} axis ${axis}`,
          atol: 1e-5,
          rtol: 1e-4,
        });
      }
    }
  });
});

describe('losses', () => {
  it('nll_loss: forward, gradient, batches larger than the workgroup', async () => {
    await checkForward((g, lp, y) => g.nllLoss(lp!, y!), [{ shape: [4, 3] }, labelSpec(0, 2, 1, 2)]);
    await checkForward((g, lp, y) => g.nllLoss(lp!, y!), [{ shape: [5, 7] }, someLabels(5, 7)]);
    await checkForward((g, lp, y) => g.nllLoss(lp!, y!), [{ shape: [600, 10] }, someLabels(600, 10)], { rtol: 1e-4 });
    await checkGradient((g, lp, y) => g.nllLoss(lp!, y!), [{ shape: [4, 3] }, labelSpec(0, 2, 1, 2)], { constant: [1] });
    await checkGradient((g, lp, y) => g.nllLoss(lp!, y!), [{ shape: [3, 1] }, labelSpec(0, 0, 0)]);
    const [loss] = await evaluate((g) => [g.nllLoss(g.constant(Float32Array.of(-1, -2, -3, -4), [2, 2]), g.constant(Int32Array.of(1, 0)))]);
    expectClose(loss!, [2.5], 'nll_loss by hand'); // -(-2 + -3) / 2
  });

  it('nll_loss: a label outside [0, C) gives NaN without reading out of bounds', async () => {
    for (const bad of [-1, 3, 1000000]) {
      const [loss, dx, good] = await evaluate((g) => {
        const lp = g.constant(randomArray(6, 3), [2, 3]);
        const labels = g.constant(Int32Array.of(1, bad));
        const l = g.nllLoss(lp, labels);
        return [l, g.grad(l, [lp])[0]!, g.nllLoss(lp, g.constant(Int32Array.of(1, 2)))];
      });
      expect(loss![0], `loss with label ${bad}`).to.be.NaN;
      expect(Number.isFinite(good![0]!)).to.equal(true);
      // The row with the bad label is NaN; the valid row keeps its gradient -1/B at its label.
      expect([...dx!.slice(0, 3)]).to.deep.equal([0, -0.5, 0]);
      for (const v of dx!.slice(3)) expect(v).to.be.NaN;
    }
  });

  it('cross_entropy = nll_loss(log_softmax(logits)): forward, by hand, gradient', async () => {
    await checkForward((g, z, y) => g.crossEntropy(z!, y!), [{ shape: [5, 7], lo: -5, hi: 5 }, someLabels(5, 7)]);
    await checkForward((g, z, y) => g.crossEntropy(z!, y!), [{ shape: [3, 1000], lo: -5, hi: 5 }, labelSpec(0, 999, 500)], { rtol: 1e-5 });
    const [ce, uniform] = await evaluate((g) => [
      g.crossEntropy(g.constant(Float32Array.of(1, 2, 3), [1, 3]), g.constant(Int32Array.of(2))),
      g.crossEntropy(g.constant(new Float32Array(8), [2, 4]), g.constant(Int32Array.of(0, 3))),
    ]);
    expectClose(ce!, [0.40760596444438], 'cross_entropy([1, 2, 3], 2) as torch');
    expectClose(uniform!, [Math.log(4)], 'cross_entropy of equal logits');
    await checkGradient((g, z, y) => g.crossEntropy(z!, y!), [{ shape: [4, 5], lo: -3, hi: 3 }, labelSpec(4, 0, 2, 2)]);
    await checkGradient((g, z, y) => g.crossEntropy(z!, y!), [{ shape: [2, 80], lo: -3, hi: 3 }, labelSpec(79, 3)]); // wide log_softmax
  });

  it('mse_loss: forward and gradients to both operands', async () => {
    await checkForward((g, p, t) => g.mseLoss(p!, t!), [{ shape: [64, 1] }, { shape: [64, 1] }]);
    await checkForward((g, p, t) => g.mseLoss(p!, t!), [{ shape: [3, 7, 2] }, { shape: [3, 7, 2] }]);
    await checkGradient((g, p, t) => g.mseLoss(p!, t!), [{ shape: [5, 3] }, { shape: [5, 3] }]);
    const [loss] = await evaluate((g) => [g.mseLoss(g.constant(Float32Array.of(1, 2, 3)), g.constant(Float32Array.of(1, 0, 0)))]);
    expectClose(loss!, [13 / 3], 'mse by hand');
  });
});

describe('argmax and accuracy', () => {
  it('argmax matches the CPU reference on any axis, both kernels', async () => {
    for (const [shape, axis] of [
      [[3, 7], -1],
      [[4, 5, 3], 0],
      [[4, 5, 3], 1],
      [[300, 9], 1],
      [[2, 1000], 1],
      [[150, 3], 0],
      [[6], 0],
    ] as const) {
      await checkForward((g, x) => g.argmax(x!, axis), [{ shape }], { label: `argmax${JSON.stringify(shape)} axis ${axis}` });
    }
  });

  it('argmax: ties go to the first index (as torch.argmax), in both kernels', async () => {
    const ties = Float32Array.of(1, 3, 3, 0, 5, 5, 5, 5, -1, -1, -2, -1);
    const long = new Float32Array(1000).fill(-1);
    for (const i of [997, 640, 300, 133, 5]) long[i] = 2; // in different strided shares and the same one
    const [rows, cols, wide] = await evaluate((g) => [
      g.argmax(g.constant(ties, [3, 4])),
      g.argmax(g.constant(Float32Array.of(2, 1, 2, 3), [2, 2]), 0), // columns [2, 2] and [1, 3]
      g.argmax(g.constant(long, [1, 1000])),
    ]);
    expect(rows).to.be.instanceOf(Int32Array);
    expect([...rows!]).to.deep.equal([1, 0, 0]);
    expect([...cols!]).to.deep.equal([0, 1]);
    expect([...wide!]).to.deep.equal([5]);
  });

  it('accuracy: a hand-made batch, ties, labels out of range, a large batch', async () => {
    const logits = Float32Array.of(
      0.1,
      0.9,
      0.0, // argmax 1
      2.0,
      1.0,
      0.5, // argmax 0
      0.3,
      0.3,
      0.1, // tie: argmax 0
      0.0,
      0.2,
      0.7, // argmax 2
    );
    const [right3of4, bad] = await evaluate((g) => [
      g.accuracy(g.constant(logits, [4, 3]), g.constant(Int32Array.of(1, 0, 0, 1))),
      g.accuracy(g.constant(logits, [4, 3]), g.constant(Int32Array.of(1, -1, 3, 2))),
    ]);
    expect(right3of4![0]).to.equal(0.75);
    expect(bad![0]).to.equal(0.5);
    await checkForward((g, z, y) => g.accuracy(z!, y!), [{ shape: [1000, 10] }, someLabels(1000, 10)]);
    await checkForward((g, z, y) => g.accuracy(z!, y!), [{ shape: [3, 1] }, labelSpec(0, 0, 1)]);
  });

  it('argmax has no gradient; accuracy cannot be differentiated', () => {
    const g = new Graph();
    const x = g.input('x', [4, 3]);
    // Self-labelling: the loss depends on x through argmax too, but only the f32 path carries a gradient.
    const loss = g.nllLoss(g.logSoftmax(x), g.argmax(x));
    expect(g.grad(loss, [x])[0]!.shape).to.deep.equal([4, 3]);
    const acc = g.accuracy(x, g.input('y', [4], 'i32'));
    expect(() => g.grad(acc, [x])).to.throw(ShapeError, "grad: op 'accuracy' has no gradient rule");
  });
});

describe('loss shape errors', () => {
  const g = new Graph();
  const logits = g.input('logits', [64, 10]);
  const labels = g.input('labels', [64], 'i32');

  it('name the op and the mismatch', () => {
    const cases: [() => unknown, string][] = [
      [() => g.nllLoss(logits, g.input('y63', [63], 'i32')), 'nll_loss: labels have 63 entries but log-probabilities have 64 rows'],
      [() => g.nllLoss(logits, g.input('yf', [64])), 'nll_loss: labels must be i32, got f32'],
      [() => g.nllLoss(g.input('lp3', [64, 10, 2]), labels), 'nll_loss: log-probabilities must be [batch, classes], got [64,10,2]'],
      [() => g.nllLoss(logits, g.input('y2d', [64, 1], 'i32')), 'nll_loss: labels must be a vector [batch], got [64,1]'],
      [() => g.crossEntropy(logits, g.input('yf2', [64])), 'cross_entropy: labels must be i32, got f32'],
      [() => g.crossEntropy(logits, g.input('y65', [65], 'i32')), 'cross_entropy: labels have 65 entries but logits have 64 rows'],
      [() => g.crossEntropy(g.input('z1', [64]), labels), 'cross_entropy: logits must be [batch, classes], got [64]'],
      [() => g.mseLoss(g.input('p', [64, 1]), g.input('t', [64])), 'mse_loss: prediction [64,1] and target [64] differ'],
      [() => g.accuracy(logits, g.input('y10', [10], 'i32')), 'accuracy: labels have 10 entries but logits have 64 rows'],
      [() => g.softmax(logits, 2), 'softmax: axis 2 is out of range for a tensor of rank 2'],
      [() => g.logSoftmax(logits, -3), 'log_softmax: axis -3 is out of range for a tensor of rank 2'],
      [() => g.softmax(labels), 'softmax: input must be f32, got i32[64]'],
      [() => g.argmax(labels), 'argmax: input must be f32, got i32[64]'],
      [() => g.argmax(logits, 2), 'argmax: axis 2 is out of range for a tensor of rank 2'],
    ];
    for (const [f, message] of cases) expect(f).to.throw(ShapeError, message);
  });

  it('argmax removes the axis and gives i32; the losses are scalars', () => {
    expect(g.argmax(logits).shape).to.deep.equal([64]);
    expect(g.argmax(logits).dtype).to.equal('i32');
    expect(g.argmax(g.input('v', [2, 3, 4]), 1).shape).to.deep.equal([2, 4]);
    for (const t of [g.nllLoss(logits, labels), g.crossEntropy(logits, labels), g.accuracy(logits, labels), g.mseLoss(logits, logits)]) {
      expect(t.shape).to.deep.equal([]);
      expect(t.dtype).to.equal('f32');
    }
  });
});
