// The structure of a trace as a string: two traces with the same key compile to the same program
// (same ops, attributes, shapes and dtypes, the same variables bound, inputs in the same places, the
// same constants, the same outputs copied to the same variables), so the second reuses the first's.
import type { Tensor as Node } from '../graph/tensor';
import type { Variable } from '../graph/variable';
import type { Trace } from './trace';

export function traceKey(trace: Trace, outputs: readonly Node[], writes: readonly { node: Node; storage: Variable }[]): string {
  const parts = trace.nodes.map((n) => {
    const type = `${n.dtype}[${n.shape.join(',')}]`;
    switch (n.kind) {
      case 'input':
        return `i${type}`;
      case 'variable':
        return `v${variableId(n.variable!)}${type}`;
      case 'constant':
        return `c${type}${hashValues(n.value!)}`;
      case 'op':
        return `${n.op!.name}(${n.inputs.map((x) => x.id).join(',')})${JSON.stringify(n.attrs)}${type}`;
    }
  });
  parts.push(`out(${outputs.map((n) => n.id).join(',')})`);
  parts.push(`write(${writes.map((w) => `${w.node.id}>${variableId(w.storage)}`).join(',')})`);
  return parts.join(';');
}

/** FNV-1a over the bytes, with the length: constants of equal values give equal keys. */
function hashValues(values: Float32Array | Int32Array): string {
  const words = new Uint32Array(values.buffer, values.byteOffset, values.length);
  let h = 0x811c9dc5;
  for (let i = 0; i < words.length; i++) {
    h ^= words[i]!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `${values.length}#${h.toString(16)}`;
}

let nextVariableId = 1;
const variableIds = new WeakMap<Variable, number>();

/** A number per variable for cache keys: programs bind variables by identity. */
export function variableId(variable: Variable): number {
  let id = variableIds.get(variable);
  if (id === undefined) {
    id = nextVariableId++;
    variableIds.set(variable, id);
  }
  return id;
}
