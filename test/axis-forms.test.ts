// The two forms of the kernels that work along one axis (src/ops/axis-kernel.ts): one invocation
// per row ('rows') and one workgroup per row ('wide'). The lowering picks one by shape; a hardware
// adapter's tuning also tries the other. Each is forced here on shapes where it is not the default,
// against the float64 reference: sums, maxima and means, softmax and argmax.
import { expect } from 'chai';
import { Graph, Program, type SymbolicTensor as Tensor } from '../src/node';
import { checkForward } from './helpers/check-op';
import { testDevice } from './helpers/device';

type Build = (g: Graph, x: Tensor) => Tensor;
const CASES: [string, number[], Build][] = [
  // Many short rows (default rows): a conv bias gradient's first sum, over H*W of each (n, c).
  ['sum over the last axis of [64, 9, 37]', [64, 9, 37], (g, x) => g.sum(x, [2])],
  ['max over the middle axis of [5, 300, 3]', [5, 300, 3], (g, x) => g.max(x, [1])],
  ['mean over axes 0, 2, 3 of [6, 5, 7, 9]', [6, 5, 7, 9], (g, x) => g.mean(x, [0, 2, 3])],
  // A sum around kept axes (one sum_outer_inner node): a conv bias gradient, and one whose inner run is shorter than a workgroup.
  ['sum over axes 0, 2, 3 of [5, 9, 13, 11]', [5, 9, 13, 11], (g, x) => g.sum(x, [0, 2, 3])],
  ['sum over axes 0, 3 of [37, 2, 3, 5]', [37, 2, 3, 5], (g, x) => g.sum(x, [0, 3], true)],
  // Few long rows (default wide): a loss summed over the batch.
  ['sum of [1000]', [1000], (g, x) => g.sum(x)],
  ['softmax over the classes of [7, 300]', [7, 300], (g, x) => g.softmax(x, 1)],
  ['softmax over the classes of [300, 10]', [300, 10], (g, x) => g.softmax(x, 1)],
];

describe('axis kernels: rows and wide forms', () => {
  for (const form of ['rows', 'wide'] as const) {
    it(`${form}, forced, matches the reference where it is and is not the default`, async () => {
      const device = await testDevice();
      const saved = device.tuning;
      device.tuning = { ...saved, force: form };
      try {
        for (const [label, shape, build] of CASES) await checkForward(build, [{ shape }], { label: `${label} (${form})`, rtol: 1e-5, atol: 1e-5 });
        // argmax: i32 output, ties aside (random inputs have none).
        const g = new Graph();
        const x = g.input('x', [9, 200]);
        const out = g.argmax(x, 1);
        const program = await Program.compile(device, g, { outputs: [out] });
        expect(program.kernels.at(-1)!.variant).to.equal(form);
        const data = Float32Array.from({ length: 1800 }, (_, i) => Math.sin(i * 12.9898) * 43758.5453 - Math.floor(Math.sin(i * 12.9898) * 43758.5453));
        program.run({ x: data });
        const got = [...(await program.read(out))];
        const want = Array.from({ length: 9 }, (_, r) => {
          const row = [...data.subarray(r * 200, (r + 1) * 200)];
          return row.indexOf(Math.max(...row));
        });
        expect(got).to.deep.equal(want);
      } finally {
        device.tuning = saved;
      }
    });
  }
});
