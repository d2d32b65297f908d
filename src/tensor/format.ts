// A tensor as PyTorch prints it: `tensor([[ 1.0000, -2.5000],\n        [ 3.0000,  4.0000]])`. The same
// rules: integers as `1.`, four decimals, scientific notation when the magnitudes span more than
// 1000x (or exceed 1e8), elements padded to one width, and a summary (`...`) past 1000 elements.
import { sizeOf, type DType, type Shape } from '../graph/shape';
import type { HostArray } from '../graph/variable';

const SUMMARY_THRESHOLD = 1000;
const EDGE_ITEMS = 3;

export function formatTensor(values: HostArray | null, shape: Shape, dtype: DType, info: { requiresGrad: boolean; gradFn: string | null }): string {
  const suffix: string[] = [];
  if (dtype !== 'f32') suffix.push(`dtype=${dtype}`);
  if (info.gradFn) suffix.push(`grad_fn=<${info.gradFn}>`);
  else if (info.requiresGrad) suffix.push('requires_grad=True');
  if (!values) return `tensor(<not computed yet: await t.print()>, size=[${shape.join(', ')}]${suffix.map((s) => `, ${s}`).join('')})`;
  const summarize = sizeOf(shape) > SUMMARY_THRESHOLD;
  const format = elementFormat(values, dtype);
  const width = Math.max(...shownValues(values, shape, summarize).map((v) => format(v).length), 1);
  const cell = (v: number) => format(v).padStart(width);
  const body = nested(values, shape, 0, 0, cell, summarize, 'tensor('.length);
  return `tensor(${body}${suffix.map((s) => `, ${s}`).join('')})`;
}

function elementFormat(values: HostArray, dtype: DType): (v: number) => string {
  if (dtype !== 'f32') return (v) => String(v);
  const finite = Array.from(values).filter((v) => Number.isFinite(v));
  const magnitudes = finite.map(Math.abs).filter((v) => v > 0);
  const integers = finite.every((v) => Number.isInteger(v));
  const max = magnitudes.length ? Math.max(...magnitudes) : 0;
  const min = magnitudes.length ? Math.min(...magnitudes) : 0;
  if (integers && max < 1e8) return (v) => (Number.isFinite(v) ? `${v.toFixed(0)}.` : String(v).toLowerCase());
  if (max > 1e8 || (min > 0 && max / min > 1000) || (max > 0 && max < 1e-4)) return (v) => sci(v);
  return (v) => (Number.isFinite(v) ? v.toFixed(4) : String(v).toLowerCase());
}

/** `1.2346e+05` as Python's `{:.4e}`. */
function sci(v: number): string {
  if (!Number.isFinite(v)) return String(v).toLowerCase();
  const [mantissa, exponent] = v.toExponential(4).split('e') as [string, string];
  const e = Number(exponent);
  return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
}

/** The values printed (the edges only when summarizing), to size the columns. */
function shownValues(values: HostArray, shape: Shape, summarize: boolean): number[] {
  const out: number[] = [];
  const walk = (dim: number, offset: number) => {
    if (dim === shape.length) {
      out.push(values[offset]!);
      return;
    }
    const stride = sizeOf(shape.slice(dim + 1));
    for (const i of indices(shape[dim]!, summarize)) if (i >= 0) walk(dim + 1, offset + i * stride);
  };
  walk(0, 0);
  return out;
}

/** Indices shown along a dimension: -1 marks the `...`. */
function indices(n: number, summarize: boolean): number[] {
  if (!summarize || n <= 2 * EDGE_ITEMS) return Array.from({ length: n }, (_, i) => i);
  return [...Array.from({ length: EDGE_ITEMS }, (_, i) => i), -1, ...Array.from({ length: EDGE_ITEMS }, (_, i) => n - EDGE_ITEMS + i)];
}

function nested(values: HostArray, shape: Shape, dim: number, offset: number, cell: (v: number) => string, summarize: boolean, indent: number): string {
  if (dim === shape.length) return cell(values[offset]!);
  const stride = sizeOf(shape.slice(dim + 1));
  const parts = indices(shape[dim]!, summarize).map((i) => (i < 0 ? '...' : nested(values, shape, dim + 1, offset + i * stride, cell, summarize, indent + 1)));
  if (dim === shape.length - 1) return `[${parts.join(', ')}]`;
  const blank = '\n'.repeat(shape.length - dim - 1);
  return `[${parts.join(`,${blank}${' '.repeat(indent + 1)}`)}]`;
}
