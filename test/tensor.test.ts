// Lazy tensors (src/tensor/): every method against the float64 CPU reference of the graph op it
// records, backward() against the static graph's grad and against central differences, PyTorch's
// refusals, and what survives a step (kept values, recipes, values that cannot be computed again).
import { expect } from 'chai';
import * as kiln from '../src/node';
import type { Shape, SymbolicTensor, Tensor } from '../src/node';
import { cast } from '../src/ops/cast';
import { slice } from '../src/ops/slice';
import { testDevice } from './helpers/device';
import { expectClose, randomArray } from './helpers/numeric';

type Eager = (...xs: Tensor[]) => Tensor;
type Symbolic = (g: kiln.Graph, ...xs: SymbolicTensor[]) => SymbolicTensor;

interface MethodCase {
  name: string;
  shapes: Shape[];
  eager: Eager;
  graph: Symbolic;
  /** Inputs drawn from [lo, hi] (default [-1, 1]). */
  range?: [number, number];
  /** The first input as i32 labels below this (nll, cross-entropy). */
  labels?: number;
}

const cases: MethodCase[] = [
  { name: 'add (broadcast)', shapes: [[3, 4], [4]], eager: (a, b) => a!.add(b!), graph: (g, a, b) => g.add(a!, b!) },
  { name: 'add a number', shapes: [[5]], eager: (a) => a!.add(2.5), graph: (g, a) => g.add(a!, 2.5) },
  {
    name: 'sub',
    shapes: [
      [2, 3],
      [2, 1],
    ],
    eager: (a, b) => a!.sub(b!),
    graph: (g, a, b) => g.sub(a!, b!),
  },
  { name: 'mul', shapes: [[7], [7]], eager: (a, b) => a!.mul(b!), graph: (g, a, b) => g.mul(a!, b!) },
  { name: 'div', shapes: [[3, 3], [3]], eager: (a, b) => a!.div(b!), graph: (g, a, b) => g.div(a!, b!), range: [0.5, 2] },
  { name: 'eq', shapes: [[6]], eager: (a) => a!.relu().eq(0), graph: (g, a) => g.equal(g.relu(a!), 0) },
  { name: 'neg', shapes: [[4]], eager: (a) => a!.neg(), graph: (g, a) => g.neg(a!) },
  { name: 'exp', shapes: [[4]], eager: (a) => a!.exp(), graph: (g, a) => g.exp(a!) },
  { name: 'log', shapes: [[4]], eager: (a) => a!.log(), graph: (g, a) => g.log(a!), range: [0.1, 3] },
  { name: 'pow', shapes: [[5]], eager: (a) => a!.pow(3), graph: (g, a) => g.pow(a!, 3) },
  { name: 'square', shapes: [[5]], eager: (a) => a!.square(), graph: (g, a) => g.square(a!) },
  { name: 'sqrt', shapes: [[5]], eager: (a) => a!.sqrt(), graph: (g, a) => g.pow(a!, 0.5), range: [0.1, 4] },
  { name: 'relu', shapes: [[9]], eager: (a) => a!.relu(), graph: (g, a) => g.relu(a!) },
  { name: 'sigmoid', shapes: [[9]], eager: (a) => a!.sigmoid(), graph: (g, a) => g.sigmoid(a!) },
  { name: 'tanh', shapes: [[9]], eager: (a) => a!.tanh(), graph: (g, a) => g.tanh(a!) },
  {
    name: 'matmul',
    shapes: [
      [5, 7],
      [7, 3],
    ],
    eager: (a, b) => a!.matmul(b!),
    graph: (g, a, b) => g.matmul(a!, b!),
  },
  { name: 'sum (all)', shapes: [[3, 4]], eager: (a) => a!.sum(), graph: (g, a) => g.sum(a!) },
  { name: 'sum (dim, keepdim)', shapes: [[3, 4]], eager: (a) => a!.sum(1, true), graph: (g, a) => g.sum(a!, 1, true) },
  { name: 'mean (dims)', shapes: [[2, 3, 4]], eager: (a) => a!.mean([0, 2]), graph: (g, a) => g.mean(a!, [0, 2]) },
  { name: 'max (dim)', shapes: [[4, 5]], eager: (a) => a!.max(1), graph: (g, a) => g.max(a!, 1) },
  { name: 'argmax (dim)', shapes: [[4, 5]], eager: (a) => a!.argmax(1), graph: (g, a) => g.argmax(a!, 1) },
  { name: 'argmax (flattened)', shapes: [[3, 4]], eager: (a) => a!.argmax(), graph: (g, a) => g.argmax(g.reshape(a!, [12]), 0) },
  { name: 'softmax', shapes: [[3, 6]], eager: (a) => a!.softmax(1), graph: (g, a) => g.softmax(a!, 1) },
  { name: 'logSoftmax', shapes: [[3, 6]], eager: (a) => a!.logSoftmax(-1), graph: (g, a) => g.logSoftmax(a!, -1) },
  { name: 'reshape / view', shapes: [[2, 6]], eager: (a) => a!.reshape([3, -1]).view([4, 3]).mul(2), graph: (g, a) => g.mul(g.reshape(a!, [4, 3]), 2) },
  { name: 'flatten', shapes: [[2, 3, 2]], eager: (a) => a!.flatten(1).exp(), graph: (g, a) => g.exp(g.flatten(a!, 1)) },
  { name: 'permute', shapes: [[2, 3, 4]], eager: (a) => a!.permute([2, 0, 1]), graph: (g, a) => g.permute(a!, [2, 0, 1]) },
  { name: 'transpose / t', shapes: [[3, 5]], eager: (a) => a!.t().transpose(0, 1).t(), graph: (g, a) => g.permute(a!, [1, 0]) },
  { name: 'unsqueeze / squeeze', shapes: [[3]], eager: (a) => a!.unsqueeze(0).unsqueeze(2).squeeze(2).exp(), graph: (g, a) => g.exp(g.reshape(a!, [1, 3])) },
  { name: 'float / int', shapes: [[7]], eager: (a) => a!.mul(3).int().float(), graph: (g, a) => cast(cast(g.mul(a!, 3), 'i32'), 'f32'), range: [-2, 2] },
  { name: 'narrow / slice', shapes: [[4, 6]], eager: (a) => a!.narrow(1, 1, 3).slice(0, -3).exp(), graph: (g, a) => g.exp(slice(a!, [1, 1], [3, 3])) },
  {
    name: 'select (a row, a column)',
    shapes: [[3, 5]],
    eager: (a) => a!.select(0, 2).add(a!.select(1, -1).sum()),
    graph: (g, a) => g.add(g.reshape(slice(a!, [2, 0], [1, 5]), [5]), g.sum(slice(a!, [0, 4], [3, 1]))),
  },
  { name: 'expand', shapes: [[1, 3]], eager: (a) => a!.expand([4, 3]), graph: (g, a) => g.broadcastTo(a!, [4, 3]) },
  {
    name: 'functional.conv2d',
    shapes: [[2, 2, 6, 5], [3, 2, 3, 3], [3]],
    eager: (x, w, b) => kiln.functional.conv2d(x!, w!, b!, { padding: 1 }),
    graph: (g, x, w, b) => g.conv2d(x!, w!, b!, { padding: 1 }),
  },
  { name: 'functional.maxPool2d', shapes: [[1, 2, 4, 6]], eager: (x) => kiln.functional.maxPool2d(x!, 2), graph: (g, x) => g.maxPool2d(x!, 2) },
  {
    name: 'functional.linear',
    shapes: [[4, 3], [2, 3], [2]],
    eager: (x, w, b) => kiln.functional.linear(x!, w!, b!),
    graph: (g, x, w, b) => g.add(g.matmul(x!, w!, { transposeB: true }), b!),
  },
  { name: 'functional.mseLoss', shapes: [[6], [6]], eager: (a, b) => kiln.functional.mseLoss(a!, b!), graph: (g, a, b) => g.mseLoss(a!, b!) },
  {
    name: 'functional.crossEntropy',
    shapes: [[4], [4, 5]],
    labels: 5,
    eager: (y, logits) => kiln.functional.crossEntropy(logits!, y!),
    graph: (g, y, logits) => g.crossEntropy(logits!, y!),
  },
  {
    name: 'gelu (derived from the registry)',
    shapes: [[9]],
    eager: (a) => a!.gelu({ approximate: 'tanh' }),
    graph: (g, a) => g.gelu(a!, { approximate: 'tanh' }),
  },
  { name: 'silu', shapes: [[9]], eager: (a) => a!.silu(), graph: (g, a) => g.silu(a!) },
  {
    name: 'layerNorm with a weight and a bias',
    shapes: [[3, 6], [6], [6]],
    eager: (x, w, b) => x!.layerNorm([6], w!, b!),
    graph: (g, x, w, b) => g.layerNorm(x!, [6], w!, b!),
  },
  {
    name: 'matmul of batches (rank 3 by rank 2)',
    shapes: [
      [2, 3, 4],
      [4, 5],
    ],
    eager: (a, b) => a!.matmul(b!),
    graph: (g, a, b) => g.batchMatmul(a!, b!),
  },
  {
    name: 'functional.embedding',
    shapes: [
      [2, 3],
      [5, 4],
    ],
    labels: 5,
    eager: (i, w) => kiln.functional.embedding(i!, w!),
    graph: (g, i, w) => g.embedding(i!, w!),
  },
  {
    name: 'functional.scaledDotProductAttention (causal)',
    shapes: [
      [2, 4, 3],
      [2, 4, 3],
      [2, 4, 3],
    ],
    eager: (q, k, v) => kiln.functional.scaledDotProductAttention(q!, k!, v!, { causal: true }),
    graph: (g, q, k, v) => g.scaledDotProductAttention(q!, k!, v!, { causal: true }),
  },
  {
    name: 'functional.nllLoss',
    shapes: [[3], [3, 4]],
    labels: 4,
    eager: (y, logits) => kiln.functional.nllLoss(logits!.logSoftmax(1), y!),
    graph: (g, y, logits) => g.nllLoss(g.logSoftmax(logits!, 1), y!),
  },
];

function inputs(c: MethodCase, seed: number): (Float32Array | Int32Array)[] {
  return c.shapes.map((shape, i) => {
    const n = shape.reduce((a, b) => a * b, 1);
    if (i === 0 && c.labels) return Int32Array.from({ length: n }, (_, j) => (j * 7 + seed) % c.labels!);
    return randomArray(n, seed + i, ...(c.range ?? [-1, 1]));
  });
}

/** The float64 value of the case's graph op at these inputs. */
function reference(c: MethodCase, values: readonly (Float32Array | Int32Array)[]): { data: Float64Array; shape: Shape } {
  const g = new kiln.Graph();
  const nodes = c.shapes.map((shape, i) => g.input(`x${i}`, shape, values[i] instanceof Int32Array ? 'i32' : 'f32'));
  const out = c.graph(g, ...nodes);
  const result = kiln.evaluateCpu([out], new Map(nodes.map((n, i) => [n, values[i]!])));
  const value = result.get(out)!;
  return { data: value.data, shape: value.shape };
}

async function rejects(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  try {
    await promise;
  } catch (error) {
    expect(String(error)).to.match(pattern);
    return;
  }
  expect.fail(`expected a rejection matching ${pattern}`);
}

describe('lazy tensors', function () {
  this.timeout(600_000);
  before(async () => kiln.useDevice(await testDevice()));

  describe('every method against the CPU reference', () => {
    for (const c of cases) {
      it(c.name, async () => {
        const values = inputs(c, 3);
        const ts = values.map((v, i) => kiln.tensor(v, { shape: c.shapes[i]!, dtype: v instanceof Int32Array ? 'i32' : 'f32' }));
        const out = c.eager(...ts);
        const expected = reference(c, values);
        expect(out.shape).to.deep.equal(expected.shape);
        expectClose(await out.data(), expected.data, c.name, 1e-5, 1e-5);
      });
    }
  });

  describe('backward', () => {
    /** Gradients of sum(f(x...) * weights) by the static graph in float64, and by central differences of its forward. */
    function staticGradients(shapes: Shape[], values: Float32Array[], f: Symbolic): { grads: Float64Array[]; numeric: Float64Array[] } {
      const g = new kiln.Graph();
      const nodes = shapes.map((s, i) => g.input(`x${i}`, s));
      const loss = f(g, ...nodes);
      const grads = g.grad(loss, nodes);
      const leaves = (vals: ArrayLike<number>[]) => new Map(nodes.map((n, i) => [n, vals[i]!] as [SymbolicTensor, ArrayLike<number>]));
      const at = kiln.evaluateCpu(grads, leaves(values));
      const numeric = values.map((v, i) => {
        const out = new Float64Array(v.length);
        for (let j = 0; j < v.length; j++) {
          const shifted = (d: number) => values.map((u, k) => (k === i ? Float64Array.from(u, (x, m) => (m === j ? x + d : x)) : Float64Array.from(u)));
          const h = 1e-5;
          const up = kiln.evaluateCpu([loss], leaves(shifted(h))).get(loss)!.data[0]!;
          const down = kiln.evaluateCpu([loss], leaves(shifted(-h))).get(loss)!.data[0]!;
          out[j] = (up - down) / (2 * h);
        }
        return out;
      });
      return { grads: grads.map((t) => at.get(t)!.data), numeric };
    }

    const gradCases: { name: string; shapes: Shape[]; eager: Eager; graph: Symbolic }[] = [
      {
        name: 'fan-out (x used three times)',
        shapes: [[3, 4]],
        eager: (x) => x!.mul(x!).add(x!.exp()).sum(),
        graph: (g, x) => g.sum(g.add(g.mul(x!, x!), g.exp(x!))),
      },
      {
        name: 'broadcasting (a bias over rows)',
        shapes: [[5, 3], [3]],
        eager: (x, b) => x!.add(b!).tanh().square().mean(),
        graph: (g, x, b) => g.mean(g.square(g.tanh(g.add(x!, b!)))),
      },
      {
        name: 'slices of one tensor (rows and a block)',
        shapes: [[4, 5]],
        eager: (x) =>
          x!
            .narrow(0, 1, 2)
            .square()
            .sum()
            .add(x!.slice(1, 2, 4).exp().sum())
            .add(x!.select(0, 3).sum()),
        graph: (g, x) => g.add(g.add(g.sum(g.square(slice(x!, [1, 0], [2, 5]))), g.sum(g.exp(slice(x!, [0, 2], [4, 2])))), g.sum(slice(x!, [3, 0], [1, 5]))),
      },
      {
        name: 'matmul, softmax and log through a chain',
        shapes: [
          [4, 6],
          [6, 5],
        ],
        eager: (x, w) => x!.matmul(w!).softmax(1).add(0.1).log().mean(),
        graph: (g, x, w) => g.mean(g.log(g.add(g.softmax(g.matmul(x!, w!), 1), 0.1))),
      },
    ];
    for (const c of gradCases) {
      it(`${c.name}: matches grad() in float64 and central differences`, async () => {
        const values = c.shapes.map((s, i) =>
          randomArray(
            s.reduce((a, b) => a * b, 1),
            11 + i,
          ),
        );
        const leaves = values.map((v, i) => kiln.tensor(v, { shape: c.shapes[i]!, requiresGrad: true }));
        c.eager(...leaves).backward();
        const { grads, numeric } = staticGradients(c.shapes, values, c.graph);
        for (let i = 0; i < leaves.length; i++) {
          expectClose(grads[i]!, numeric[i]!, `${c.name}: grad() vs central differences, input ${i}`, 1e-4, 1e-6);
          expectClose(await leaves[i]!.grad!.data(), grads[i]!, `${c.name}: backward() vs grad(), input ${i}`, 1e-4, 1e-6);
        }
      });
    }

    it('accumulates across two backward() calls until zero_()', async () => {
      const w = kiln.tensor([1, 2, 3], { requiresGrad: true });
      w.mul(w).sum().backward(); // 2w
      w.mul(3).sum().backward(); // + 3
      expect(await w.grad!.tolist()).to.deep.equal([5, 7, 9]);
      w.grad!.zero_();
      w.mul(w).sum().backward();
      expect(await w.grad!.tolist()).to.deep.equal([2, 4, 6]);
      w.sum().backward(); // in a later trace: the stored gradient plus 1
      expect(await w.grad!.tolist()).to.deep.equal([3, 5, 7]);
    });

    it('reaches the leaves through a value read before backward()', async () => {
      const w = kiln.tensor(
        [
          [1, 0],
          [0, 2],
        ],
        { requiresGrad: true },
      );
      const y = kiln
        .tensor([
          [1, 2],
          [3, 4],
        ])
        .matmul(w)
        .add(1);
      expect(await y.tolist()).to.deep.equal([
        [2, 5],
        [4, 9],
      ]);
      const loss = y.square().sum();
      loss.backward();
      expect(await loss.item()).to.equal(126);
      expect(await w.grad!.tolist()).to.deep.equal([
        [28, 64],
        [40, 92],
      ]); // xᵀ 2y
    });

    it('a leaf read before and after an update under noGrad gets both gradients, each at its value', async () => {
      const w = kiln.tensor([3], { requiresGrad: true });
      const before = w.mul(w); // d/dw = 2w at w = 3
      kiln.noGrad(() => w.sub_(1));
      before.add(w.mul(5)).sum().backward(); // + 5
      expect(await w.grad!.tolist()).to.deep.equal([11]);
    });

    it('backward(gradient) for a non-scalar, and an error without it', async () => {
      const x = kiln.tensor([1, 2, 3], { requiresGrad: true });
      const y = x.mul(x);
      expect(() => y.backward()).to.throw(/grad can be implicitly created only for scalar outputs/);
      y.backward(kiln.tensor([1, 0.5, 0]));
      expect(await x.grad!.tolist()).to.deep.equal([2, 2, 0]);
    });

    it('noGrad and detach cut the graph; in-place updates of leaves only under noGrad', async () => {
      const w = kiln.tensor([2, 3], { requiresGrad: true });
      const frozen = kiln.noGrad(() => w.mul(10));
      expect(frozen.requiresGrad).to.equal(false);
      w.mul(w.detach()).add(frozen).sum().backward(); // d/dw of w * const + const = the const
      expect(await w.grad!.tolist()).to.deep.equal([2, 3]);
      expect(() => w.sub_(1)).to.throw(/leaf tensor that requires grad is being used in an in-place operation/);
      kiln.noGrad(() => w.sub_(w.grad!.mul(0.5)));
      expect(await w.tolist()).to.deep.equal([1, 1.5]);
      expect(w.requiresGrad).to.equal(true);
      expect(() => kiln.tensor([1, 2]).sum().backward()).to.throw(/does not require grad/);
    });
  });

  describe('values', () => {
    it('item, data, tolist and PyTorch-style printing', async () => {
      const x = kiln.tensor([
        [1, -2.5],
        [3, 4],
      ]);
      expect(x.toString()).to.match(/^tensor\(<not computed yet/);
      expect(await x.tolist()).to.deep.equal([
        [1, -2.5],
        [3, 4],
      ]);
      expect(x.toString()).to.equal('tensor([[ 1.0000, -2.5000],\n        [ 3.0000,  4.0000]])');
      expect(await kiln.tensor([1, 2, 3]).add(1).print()).to.equal('tensor([2., 3., 4.])');
      const w = kiln.tensor([0.5], { requiresGrad: true });
      await w.data();
      expect(w.toString()).to.equal('tensor([0.5000], requires_grad=True)');
      const big = kiln.tensor([1e-5, 1]).mul(w);
      await big.data();
      expect(big.toString()).to.equal('tensor([5.0000e-06, 5.0000e-01], grad_fn=<mul>)');
      expect(await kiln.tensor([7]).sum().item()).to.equal(7);
      await rejects(kiln.tensor([1, 2]).item(), /2 elements cannot be converted/);
      expect(await kiln.tensor([1, 2, 3, 4], { dtype: 'i32' }).slice(0, 1, 3).tolist()).to.deep.equal([2, 3]);
      const labels = kiln.tensor([3, 1], { dtype: 'i32' });
      expect(await labels.data()).to.be.instanceOf(Int32Array);
      expect(
        (
          await kiln
            .tensor([[1, 2, 3]])
            .argmax(1)
            .data()
        )[0],
      ).to.equal(2);
    });

    it("a module's dropout counter counts as an update: a dropped-out value is not computed again with another mask", async () => {
      kiln.manualSeed(1);
      const drop = kiln.nn.dropout(0.5);
      const x = kiln.ones([2000]);
      const y = drop.call(x); // 2000 values: not kept
      const kept = await y.sum().item();
      expect(kept).to.be.within(1600, 2400); // about half kept, each scaled by 2
      await rejects(y.data(), /cannot be computed again: 'dropout.step'/);
      drop.eval();
      expect(await drop.call(x).sum().item()).to.equal(2000);
    });

    it('values asked for in one go share one submit', async () => {
      const before = kiln.tensorStats().tracesRun;
      const a = kiln.tensor([1, 2]).mul(2);
      const b = a.add(1);
      const [va, vb] = await Promise.all([a.tolist(), b.tolist()]);
      expect([va, vb]).to.deep.equal([
        [2, 4],
        [3, 5],
      ]);
      expect(kiln.tensorStats().tracesRun - before).to.equal(1);
    });

    it('a large value not kept is computed again while its inputs are unchanged, and refused once they changed', async () => {
      const w = kiln.tensor(randomArray(8000, 5), { requiresGrad: true });
      const big = w.mul(2); // 8000 values: above the readback limit, so not kept
      const small = w.sum();
      await small.item(); // runs the trace without keeping `big`
      expectClose(
        await big.data(),
        Float64Array.from(await w.data(), (v) => 2 * v),
        'recomputed',
      );
      const other = w.mul(3);
      const total = other.sum();
      await total.item();
      kiln.noGrad(() => w.sub_(1));
      await kiln.synchronize();
      await rejects(other.data(), /cannot be computed again: .* has been updated in place since/);
      const kept = w.mul(4).keep();
      await kept.sum().item();
      kiln.noGrad(() => w.add_(1));
      expect((await kept.data()).length).to.equal(8000);
    });
  });
});
