// Evaluates a graph on the CPU in float64 with each op's reference: the ground truth for kernel tests
// and the function that finite differences perturb when gradient rules are checked.
import type { CpuTensor } from '../ops/op';
import type { Tensor } from './tensor';

/** Values of `targets`, given values for every input and variable they depend on. */
export function evaluateCpu(targets: readonly Tensor[], leaves: ReadonlyMap<Tensor, Float64Array | ArrayLike<number>>): Map<Tensor, CpuTensor> {
  const values = new Map<Tensor, CpuTensor>();
  const visit = (t: Tensor): CpuTensor => {
    const known = values.get(t);
    if (known) return known;
    let value: CpuTensor;
    if (t.kind === 'op') {
      const inputs = t.inputs.map(visit);
      value = t.op!.cpu(inputs, t.attrs, { shape: t.shape, dtype: t.dtype });
    } else {
      const data = t.kind === 'constant' ? t.value! : leaves.get(t);
      if (!data) throw new Error(`evaluateCpu: no value given for ${t}`);
      if (data.length !== t.size) throw new Error(`evaluateCpu: ${data.length} values given for ${t}`);
      value = { shape: t.shape, dtype: t.dtype, data: Float64Array.from(data) };
    }
    values.set(t, value);
    return value;
  };
  for (const t of targets) visit(t);
  return values;
}
