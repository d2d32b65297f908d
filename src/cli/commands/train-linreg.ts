import type { Device } from '../../device/device';
import { setupLinreg, trainLinreg, type LinregVariant } from '../../train/recipes/linreg';
import type { ParsedOptions } from '../args';
import { ProgressBar } from '../progress';

const VARIANTS: Record<LinregVariant, string> = {
  a: 'x = 1..11, y = 2x + 3; Linear(1, 1), SGD lr 0.01, 1000 full-batch epochs',
  b: 'X ~ N(0,1) 1000x2, y = X[2, -3.4] + 4.2 + noise; minibatch 10 shuffled, SGD lr 0.03, 3 epochs',
  c: 'as (b), with standardized features',
};

export async function trainLinregCommand(device: Device, options: ParsedOptions): Promise<void> {
  const which = String(options['variant'] ?? 'all');
  const variants = which === 'all' ? (['a', 'b', 'c'] as const) : [which];
  for (const v of variants) {
    const variant = v as LinregVariant;
    console.log(`linear regression (${variant}): ${VARIANTS[variant]}`);
    const setup = setupLinreg(device, variant, Number(options['seed'] ?? 0));
    const bar = new ProgressBar(`  (${variant})`, 'examples');
    const started = performance.now();
    const result = await trainLinreg(setup, { onProgress: bar.update });
    const seconds = (performance.now() - started) / 1000;
    const w = result.weights.map((x) => x.toFixed(4)).join(', ');
    const errW = result.weights.map((x, i) => Math.abs(x - setup.trueWeights[i]!).toExponential(1)).join(', ');
    console.log(`  w = [${w}] (true [${setup.trueWeights.join(', ')}], |error| ${errW})`);
    console.log(`  b = ${result.bias.toFixed(4)} (true ${setup.trueBias}, |error| ${Math.abs(result.bias - setup.trueBias).toExponential(1)})`);
    console.log(`  final loss ${result.losses.at(-1)!.toExponential(3)}, ${seconds.toFixed(2)} s`);
  }
}
