import { checkForward, checkGradient } from './helpers/check-op';

describe('elementwise ops', () => {
  const binary = ['add', 'sub', 'mul', 'div'] as const;
  for (const name of binary) {
    it(`${name}: same shapes, broadcasting both ways, scalars; gradients`, async () => {
      const f = (g: import('../src/node').Graph, a: import('../src/node').SymbolicTensor, b: import('../src/node').SymbolicTensor) => g[name](a, b);
      const positive = name === 'div' ? { lo: 0.5, hi: 2 } : {};
      await checkForward(f, [{ shape: [67] }, { shape: [67], ...positive }]); // not a multiple of 64
      await checkForward(f, [{ shape: [3, 1, 5] }, { shape: [4, 1], ...positive }]);
      await checkForward(f, [{ shape: [1] }, { shape: [2, 3], ...positive }]);
      await checkForward((g, a) => g[name](a, 2.5), [{ shape: [7] }]);
      await checkGradient(f, [{ shape: [3, 1, 5] }, { shape: [4, 1], ...positive }]);
      await checkGradient(f, [{ shape: [2, 3] }, { shape: [3], ...positive }]);
    });
  }

  it('unary ops against the CPU reference and their gradients', async () => {
    type G = import('../src/node').Graph;
    type T = import('../src/node').SymbolicTensor;
    const unary: [string, (g: G, x: T) => T, { lo?: number; hi?: number }][] = [
      ['neg', (g, x) => g.neg(x), {}],
      ['exp', (g, x) => g.exp(x), {}],
      ['log', (g, x) => g.log(x), { lo: 0.2, hi: 3 }],
      ['relu', (g, x) => g.relu(x), {}],
      ['sigmoid', (g, x) => g.sigmoid(x), { lo: -5, hi: 5 }],
      ['tanh', (g, x) => g.tanh(x), { lo: -3, hi: 3 }],
      ['pow 3', (g, x) => g.pow(x, 3), { lo: -2, hi: 2 }],
      ['pow 0.5', (g, x) => g.pow(x, 0.5), { lo: 0.2, hi: 2 }],
      ['square', (g, x) => g.square(x), {}],
    ];
    for (const [label, f, range] of unary) {
      await checkForward(f, [{ shape: [5, 13], ...range }], { label, rtol: 2e-5 });
      await checkGradient(f, [{ shape: [2, 3], ...range }]);
    }
  });

  it('special values match PyTorch: log(0) = -inf, log(-1) = nan, pow of negative bases, sigmoid of large inputs', async () => {
    const data = Float32Array.of(0, -1, -2, 100, -100, 2);
    await checkForward((g, x) => g.log(x), [{ shape: [6], data }]);
    await checkForward((g, x) => g.pow(x, 3), [{ shape: [6], data }], { rtol: 1e-5 });
    await checkForward((g, x) => g.pow(x, 2), [{ shape: [6], data }]);
    await checkForward((g, x) => g.sigmoid(x), [{ shape: [6], data }]);
    await checkForward((g, x) => g.tanh(x), [{ shape: [6], data }]);
  });

  it('broadcastTo copies along new and size-1 axes; its gradient sums them back', async () => {
    await checkForward((g, x) => g.broadcastTo(x, [4, 3, 5]), [{ shape: [3, 1] }]);
    await checkGradient((g, x) => g.broadcastTo(x, [2, 3, 4]), [{ shape: [1, 4] }]);
  });
});
