// What a user hands Kiln as data, turned into the typed arrays a GPU buffer takes: typed arrays of any
// kind, plain number arrays and nested arrays (a row per example, as `torch.tensor([[1, 2], [3, 4]])`).
// Nested arrays give their shape; a ragged one is refused with the path to the first row that
// differs, and so is a value that is not a finite number.
import { fmt, type Shape } from '../../graph/shape';

/** A nested array of numbers, any depth: `[[0.1, 0.2], [0.3, 0.4]]`. */
export type NestedNumbers = number | readonly NestedNumbers[];

/** Anything Kiln takes as numbers. */
export type NumericData = Float32Array | Float64Array | Int32Array | Uint8Array | Uint16Array | Int16Array | Int8Array | Uint32Array | readonly NestedNumbers[];

/** The shape of a nested array, checked to be rectangular. */
export function nestedShape(what: string, data: readonly NestedNumbers[]): Shape {
  const shape: number[] = [];
  let level: NestedNumbers = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    if (level.length === 0) break;
    level = (level as readonly NestedNumbers[])[0]!;
  }
  checkRectangular(what, data, shape, 0, []);
  return shape;
}

function checkRectangular(what: string, data: NestedNumbers, shape: Shape, depth: number, path: number[]): void {
  const where = () => (path.length ? `${what}[${path.join('][')}]` : what);
  if (depth === shape.length) {
    if (Array.isArray(data)) throw new RangeError(`${where()}: ragged nested array: expected a number at depth ${depth} (shape ${fmt(shape)}), got an array`);
    return;
  }
  if (!Array.isArray(data)) throw new RangeError(`${where()}: ragged nested array: expected an array of ${shape[depth]} at depth ${depth} (shape ${fmt(shape)}), got ${typeof data}`);
  if (data.length !== shape[depth]) throw new RangeError(`${where()}: ragged nested array: ${data.length} entries where the first row at this depth has ${shape[depth]} (shape ${fmt(shape)})`);
  (data as readonly NestedNumbers[]).forEach((d, i) => checkRectangular(what, d, shape, depth + 1, [...path, i]));
}

/** The values in row-major order, with the shape a nested array had (null for flat input). */
export function flattenNumbers(what: string, data: NumericData): { values: ArrayLike<number>; shape: Shape | null } {
  if (!Array.isArray(data)) return { values: data as ArrayLike<number>, shape: null };
  const nested = data as readonly NestedNumbers[];
  const shape = nestedShape(what, nested);
  return { values: shape.length > 1 ? (nested.flat(shape.length - 1 as 1) as number[]) : (nested as readonly number[]), shape: shape.length > 1 ? shape : null };
}

/** As float32, with the first non-finite value named. */
export function toFloat32(what: string, values: ArrayLike<number>): Float32Array {
  const out = values instanceof Float32Array ? values : Float32Array.from(values);
  for (let i = 0; i < out.length; i++) {
    if (!Number.isFinite(out[i]!)) throw new RangeError(`${what}: value ${values[i]} at index ${i} is not a finite number`);
  }
  return out;
}

/** As int32 class labels, with the first value that is not an integer named. */
export function toInt32(what: string, values: ArrayLike<number>): Int32Array {
  if (values instanceof Int32Array) return values;
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) throw new RangeError(`${what}: label ${v} at index ${i} is not a 32-bit integer`);
    out[i] = v;
  }
  return out;
}
