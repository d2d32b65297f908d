// permute (src/ops/permute.ts): axes reordered and materialised, against the float64 reference and
// its gradient (the inverse permutation) against finite differences; bad orders rejected by name.
import { expect } from 'chai';
import { Graph } from '../src/node';
import { checkForward, checkGradient } from './helpers/check-op';
import { throwsError } from './helpers/errors';

describe('permute', () => {
  it('matches the reference: conv2d weight channel-last, a 2-D transpose, negative axes, rank 5', async () => {
    await checkForward((g, w) => g.permute(w, [1, 2, 3, 0]), [{ shape: [17, 5, 3, 3] }]);
    await checkForward((g, x) => g.permute(x, [1, 0]), [{ shape: [67, 3] }]);
    await checkForward((g, x) => g.permute(x, [-1, 0, 1]), [{ shape: [2, 3, 4] }]);
    await checkForward((g, x) => g.permute(x, [4, 2, 0, 3, 1]), [{ shape: [2, 3, 1, 5, 2] }]);
  });

  it('gradient: the inverse permutation', async () => {
    await checkGradient((g, x) => g.permute(x, [2, 0, 1]), [{ shape: [3, 4, 5] }]);
  });

  it('the identity order is no node; orders that miss or repeat an axis are errors naming the input', () => {
    const g = new Graph();
    const x = g.input('x', [2, 3, 4]);
    expect(g.permute(x, [0, 1, 2])).to.equal(x);
    expect(g.permute(x, [2, 0, 1]).shape).to.deep.equal([4, 2, 3]);
    expect(throwsError(() => g.permute(x, [0, 1])).message).to.equal('permute: dims [0,1] are not an ordering of the 3 axes of [2,3,4]');
    expect(throwsError(() => g.permute(x, [0, 1, 1])).message).to.equal('permute: dims [0,1,1] are not an ordering of the 3 axes of [2,3,4]');
    expect(throwsError(() => g.permute(x, [0, 1, 3])).message).to.equal('permute: dims [0,1,3] are not an ordering of the 3 axes of [2,3,4]');
  });
});
