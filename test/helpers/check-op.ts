// The two checks every op gets: GPU output against the float64 CPU reference, and gradients (computed
// by the graph on the GPU) against central finite differences of the CPU reference in float64.
import { evaluateCpu, Graph, Program, type Shape, type SymbolicTensor as Tensor } from '../../src/node';
import { testDevice } from './device';
import { centralDifferences, expectClose, randomArray } from './numeric';

export interface InputSpec {
  shape: Shape;
  /** Explicit values; random in [lo, hi) from `seed` otherwise. */
  data?: Float32Array | Int32Array;
  lo?: number;
  hi?: number;
  dtype?: 'f32' | 'i32';
}

function makeInputs(g: Graph, specs: readonly InputSpec[], seed: number) {
  return specs.map((spec, i) => {
    const data =
      spec.data ??
      randomArray(
        spec.shape.reduce((a, b) => a * b, 1),
        seed + 17 * i,
        spec.lo ?? -1,
        spec.hi ?? 1,
      );
    const tensor = g.input(`x${i}`, spec.shape, spec.dtype ?? (data instanceof Int32Array ? 'i32' : 'f32'));
    return { tensor, data };
  });
}

/** Builds `f` over the inputs, runs it on the GPU and compares with the CPU reference. */
export async function checkForward(
  f: (g: Graph, ...xs: Tensor[]) => Tensor,
  specs: readonly InputSpec[],
  options: { seed?: number; rtol?: number; atol?: number; label?: string } = {},
): Promise<void> {
  const device = await testDevice();
  const g = new Graph();
  const inputs = makeInputs(g, specs, options.seed ?? 1);
  const out = f(g, ...inputs.map((x) => x.tensor));
  const program = await Program.compile(device, g, { outputs: [out] });
  program.run(Object.fromEntries(inputs.map((x) => [x.tensor.name, x.data])));
  const gpu = await program.read(out);
  const cpu = evaluateCpu([out], new Map(inputs.map((x) => [x.tensor, x.data]))).get(out)!;
  expectClose(gpu, cpu.data, options.label ?? `${out.name}${JSON.stringify(out.shape)}`, options.rtol ?? 1e-5, options.atol ?? 1e-5);
}

/**
 * Checks d(loss)/d(inputs) for loss = sum(f(xs) * w) with a fixed random w (so every output element
 * gets a distinct weight), GPU autodiff against central differences of the CPU reference in float64.
 * Inputs listed in `constant` (integer labels, say) are not differentiated.
 */
export async function checkGradient(
  f: (g: Graph, ...xs: Tensor[]) => Tensor,
  specs: readonly InputSpec[],
  options: { seed?: number; eps?: number; rtol?: number; atol?: number; constant?: number[] } = {},
): Promise<void> {
  const device = await testDevice();
  const g = new Graph();
  const inputs = makeInputs(g, specs, options.seed ?? 2);
  const out = f(g, ...inputs.map((x) => x.tensor));
  const weights = g.constant(randomArray(out.size, 99), out.shape, 'w');
  const loss = g.sum(g.mul(out, weights));
  const differentiated = inputs.filter((_, i) => !(options.constant ?? []).includes(i) && specs[i]!.dtype !== 'i32');
  const grads = g.grad(
    loss,
    differentiated.map((x) => x.tensor),
  );
  const program = await Program.compile(device, g, { outputs: grads });
  program.run(Object.fromEntries(inputs.map((x) => [x.tensor.name, x.data])));

  const eps = options.eps ?? 1e-3;
  const values = new Map<Tensor, Float64Array>(inputs.map((x) => [x.tensor, Float64Array.from(x.data)]));
  const lossAt = () => evaluateCpu([loss], values).get(loss)!.data[0]!;
  for (let k = 0; k < differentiated.length; k++) {
    const x = values.get(differentiated[k]!.tensor)!;
    const numeric = centralDifferences(x, lossAt, eps);
    const analytic = await program.read(grads[k]!);
    expectClose(analytic, numeric, `d loss / d ${differentiated[k]!.tensor.name} of ${out.name}`, options.rtol ?? 2e-3, options.atol ?? 2e-3);
  }
}
