import { expect } from 'chai';
import { Graph, type Shape, type SymbolicTensor as Tensor } from '../src/node';
import { matmulOp, type MatmulAttrs } from '../src/ops/matmul';
import { checkForward, checkGradient } from './helpers/check-op';

type Flags = { transposeA: boolean; transposeB: boolean };
const combos: Flags[] = [
  { transposeA: false, transposeB: false },
  { transposeA: true, transposeB: false },
  { transposeA: false, transposeB: true },
  { transposeA: true, transposeB: true },
];
const name = ({ transposeA, transposeB }: Flags) => `${transposeA ? 'aT' : 'a'} x ${transposeB ? 'bT' : 'b'}`;

/** Stored shapes of a and b for op(a) [m,k] times op(b) [k,n] under the given flags. */
function operands(m: number, k: number, n: number, flags: Flags): [{ shape: Shape }, { shape: Shape }] {
  return [{ shape: flags.transposeA ? [k, m] : [m, k] }, { shape: flags.transposeB ? [n, k] : [k, n] }];
}

const mm = (flags: Flags) => (g: Graph, a: Tensor, b: Tensor) => g.matmul(a, b, flags);

describe('matmul', () => {
  it('all four transpose combinations against the float64 reference, on edge shapes', async () => {
    // [m, k, n]: tile edges (m not a multiple of 16, n not of 8 or 4), size-1 dimensions, n = 4k.
    const shapes: [number, number, number][] = [
      [7, 13, 5],
      [1, 1, 1],
      [3, 1, 9],
      [17, 6, 12],
      [33, 5, 8],
      [16, 3, 1],
      [1, 20, 3],
    ];
    for (const flags of combos) {
      for (const [m, k, n] of shapes) {
        await checkForward(mm(flags), operands(m, k, n, flags), { label: `${name(flags)} [${m},${k}]x[${k},${n}]` });
      }
    }
  });

  it('long inner dimensions (K = 784), and the layouts nn.Linear uses forward and backward', async () => {
    // f32 sums of 784 products: relative error grows with K.
    for (const flags of combos) {
      await checkForward(mm(flags), operands(64, 784, 10, flags), { rtol: 1e-4, label: `${name(flags)} [64,784]x[784,10]` });
    }
    // nn.Linear (weight stored [out, in]): y = x Wᵀ, dx = dy W, dW = dyᵀ x; a 1000-row evaluation batch.
    const [plain, aT, bT] = [combos[0]!, combos[1]!, combos[2]!];
    await checkForward(mm(bT), operands(1000, 784, 10, bT), { rtol: 1e-4 });
    await checkForward(mm(plain), operands(64, 10, 784, plain), { rtol: 1e-4 });
    await checkForward(mm(aT), operands(10, 64, 784, aT), { rtol: 1e-4 });
  });

  it('many workgroups, and a dispatch over two dimensions when the tiles outnumber 65,535 groups', async () => {
    // 1100 x 1100 outputs in 16 x 8 tiles: 9,522 invocations over 149 workgroups.
    await checkForward(mm(combos[0]!), [{ shape: [1100, 2] }, { shape: [2, 1100] }], { label: '[1100,2]x[2,1100]' });
    await checkForward(mm(combos[3]!), [{ shape: [2, 1100] }, { shape: [1100, 2] }], { label: '[2,1100]T x [1100,2]T' });
    // A 2-D dispatch needs over 65,535 x 64 tiles, an output of 2 GiB and more than a storage
    // binding may hold, so its lowering is checked without running it: the grid covers every tile.
    const g = new Graph();
    const c = g.matmul(g.input('a', [16 * 65536, 1]), g.input('b', [1, 8 * 65]));
    const [call] = matmulOp.lower!(c, c.attrs as MatmulAttrs);
    const [x, y] = call!.workgroups;
    expect(y).to.be.greaterThan(1);
    expect(x).to.be.at.most(65535);
    expect(x * y * call!.constants!['WG']!).to.be.at.least(65536 * 65);
  });

  it('gradients of all four combinations against finite differences', async () => {
    for (const flags of combos) {
      await checkGradient(mm(flags), operands(3, 4, 5, flags));
      await checkGradient(mm(flags), operands(1, 3, 2, flags));
    }
    // Through a chain, so that dy is not just the weights of the check.
    await checkGradient(
      (g, a, b, c) => g.matmul(g.tanh(g.matmul(a, b, { transposeB: true })), c, { transposeA: false, transposeB: true }),
      [{ shape: [3, 4] }, { shape: [5, 4] }, { shape: [2, 5] }],
    );
  });

  it('shape errors name the operands as given and the transposition', () => {
    const g = new Graph();
    const x = g.input('x', [64, 784]);
    const w = g.input('w', [10, 784]);
    expect(() => g.matmul(x, w)).to.throw(/matmul: inner dimensions differ, \[64,784\] x \[10,784\]/);
    expect(() => g.matmul(x, w, { transposeA: true })).to.throw(/inner dimensions differ, \[64,784\] x \[10,784\] with transposeA \(64 vs 10\)/);
    expect(() => g.matmul(w, x, { transposeA: true, transposeB: true })).to.throw(
      /inner dimensions differ, \[10,784\] x \[64,784\] with transposeA and transposeB \(10 vs 784\)/,
    );
    expect(g.matmul(x, w, { transposeB: true }).shape).to.deep.equal([64, 10]);
    expect(g.matmul(x, x, { transposeA: true }).shape).to.deep.equal([784, 784]);
    expect(() => g.matmul(g.input('t', [3, 4, 5]), w)).to.throw(/matmul: expected 2-D operands, got \[3,4,5\]/);
    expect(() => g.matmul(g.input('v', [784]), w)).to.throw(/expected 2-D operands, got \[784\]/);
    expect(() => g.matmul(g.input('i', [2, 784], 'i32'), w, { transposeB: true })).to.throw(/matmul: operands must be f32 or f16, got i32\[2,784\]/);
  });
});
