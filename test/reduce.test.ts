import { expect } from 'chai';
import { Graph } from '../src/node';
import { sumOp } from '../src/ops/sum';
import { keptMiddle, sumOuterInnerOp } from '../src/ops/sum-outer-inner';
import { checkForward, checkGradient } from './helpers/check-op';

describe('reductions and views', () => {
  it('sum, mean and max over each axis, several axes, and everything', async () => {
    for (const op of ['sum', 'mean', 'max'] as const) {
      for (const axes of [0, 1, 2, -1, [0, 2], undefined]) {
        for (const keepdims of [false, true]) {
          await checkForward((g, x) => g[op](x, axes, keepdims), [{ shape: [3, 7, 5] }], { label: `${op}(${JSON.stringify(axes)}, keepdims=${keepdims})` });
        }
      }
      // long rows take the one-workgroup-per-output kernel; many outputs the loop kernel
      await checkForward((g, x) => g[op](x), [{ shape: [1000, 3] }], { rtol: 1e-4, label: `${op} all of 3000` });
      await checkForward((g, x) => g[op](x, 1), [{ shape: [2, 300] }], { rtol: 1e-4, label: `${op} wide rows` });
      await checkForward((g, x) => g[op](x, 0), [{ shape: [3, 300] }], { rtol: 1e-4, label: `${op} many outputs` });
    }
  });

  it('gradients of sum, mean and max (ties split evenly, as torch.amax)', async () => {
    for (const op of ['sum', 'mean', 'max'] as const) {
      await checkGradient((g, x) => g[op](x, 1), [{ shape: [3, 4, 2] }]);
      await checkGradient((g, x) => g[op](x, [0, 2], true), [{ shape: [3, 4, 2] }]);
      await checkGradient((g, x) => g[op](x), [{ shape: [2, 5] }]);
    }
  });

  it('adjacent axes reduce as one node, and a sum around kept axes ([0, 2, 3] of NCHW, a conv bias gradient) is one', async () => {
    for (const op of ['sum', 'mean', 'max'] as const) {
      for (const axes of [
        [0, 2, 3],
        [1, 2],
        [0, 1, 2, 3],
        [2, 3],
      ]) {
        await checkForward((g, x) => g[op](x, axes, true), [{ shape: [3, 4, 5, 6] }], { label: `${op}(${JSON.stringify(axes)})` });
      }
      await checkGradient((g, x) => g[op](x, [0, 2, 3]), [{ shape: [2, 3, 2, 3] }]);
    }
    const g = new Graph();
    const y = g.sum(g.input('x', [3, 4, 5, 6]), [0, 2, 3]);
    expect(y.shape).to.deep.equal([4]);
    expect(g.nodes.filter((n) => n.op === sumOuterInnerOp).map((n) => n.inputs[0]!.shape)).to.deep.equal([[3, 4, 30]]);
    expect(g.nodes.filter((n) => n.op === sumOp)).to.have.length(0);
    const m = g.mean(g.input('z', [3, 4, 5, 6]), [0, 2, 3]);
    expect(m.shape).to.deep.equal([4]);
    // Around kept axes in every pattern, keepdims or not, and the gradient through the one node.
    for (const [shape, axes] of [
      [
        [3, 4, 5, 6],
        [0, 3],
      ],
      [
        [3, 4, 5, 6],
        [0, 1, 3],
      ],
      [
        [2, 3, 4],
        [0, -1],
      ],
      [
        [1, 5, 1],
        [0, 2],
      ],
    ] as [number[], number[]][]) {
      for (const keepdims of [false, true])
        await checkForward((g, x) => g.sum(x, axes, keepdims), [{ shape }], { label: `sum(${JSON.stringify(axes)}) of ${JSON.stringify(shape)}` });
    }
    await checkGradient((g, x) => g.sum(x, [0, 3]), [{ shape: [2, 3, 2, 3] }]);
    expect(keptMiddle([0, 2, 3], 4)).to.deep.equal([1, 1]);
    expect(keptMiddle([0, 3], 4)).to.deep.equal([1, 2]);
    expect(keptMiddle([1, 2], 4)).to.equal(null);
    expect(keptMiddle([0, 1], 4)).to.equal(null);
    expect(keptMiddle([0, 2], 4)).to.equal(null);
  });

  it('reshape and flatten are views with gradients', async () => {
    await checkForward((g, x) => g.exp(g.reshape(x, [5, -1])), [{ shape: [2, 3, 5] }]);
    await checkForward((g, x) => g.exp(g.flatten(x)), [{ shape: [2, 3, 5] }]);
    await checkGradient((g, x) => g.exp(g.flatten(x, 0)), [{ shape: [2, 3, 2] }]);
  });

  it('size-1 dimensions', async () => {
    await checkForward((g, x) => g.sum(x, 1), [{ shape: [1, 1, 1] }]);
    await checkForward((g, x) => g.max(x, 0), [{ shape: [1, 9] }]);
    await checkGradient((g, x) => g.mean(x, 0), [{ shape: [1, 3] }]);
  });
});
