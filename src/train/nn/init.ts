// Initialisers as PyTorch does them, drawn from Kiln's seeded counter-based generator.
import { initStream } from '../../random/philox';

/** torch.nn.init.kaiming_uniform_(w, a=sqrt(5)), nn.Linear's and nn.Conv2d's default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)). */
export function kaimingUniformDefault(size: number, fanIn: number): Float32Array {
  const bound = 1 / Math.sqrt(fanIn);
  return initStream().fillUniform(new Float32Array(size), -bound, bound);
}

export function uniform(size: number, lo: number, hi: number): Float32Array {
  return initStream().fillUniform(new Float32Array(size), lo, hi);
}

export function normal(size: number, mean: number, std: number): Float32Array {
  return initStream().fillNormal(new Float32Array(size), mean, std);
}
