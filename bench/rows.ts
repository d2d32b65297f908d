// One row of the benchmark: a workload measured in Kiln, in TensorFlow.js and (where installed) in PyTorch
// on the CPU, in one unit where more is better, and the table that prints the rows.

export interface Measured {
  value: number;
  /** What the cell shows instead of the bare value (e.g. "103.2 (620 ms/step)"). */
  display?: string;
  /** How it was measured: batches, repetitions, checks. */
  note: string;
}

export interface KilnMeasured extends Measured {
  /** Of the compiled program that ran (absent for a row that summarises other rows). */
  dispatchesPerStep?: number;
  submitsPerStep?: number;
}

export interface Row {
  id: string;
  workload: string;
  unit: string;
  kiln: KilnMeasured | null;
  /** A measurement, or why there is none. */
  tfjs: Measured | string;
  torch: Measured | string;
  /** Kiln / TensorFlow.js, where both were measured. */
  ratio: number | null;
}

export function makeRow(
  id: string,
  workload: string,
  unit: string,
  kiln: KilnMeasured | null,
  tfjs: Measured | string,
  torch: Measured | string = 'not run',
): Row {
  const ratio = kiln && typeof tfjs !== 'string' ? kiln.value / tfjs.value : null;
  return { id, workload, unit, kiln, tfjs, torch, ratio };
}

/** Three significant digits, without exponents for the sizes these figures have. */
export function fmtValue(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const abs = Math.abs(x);
  return abs >= 100 ? x.toFixed(0) : abs >= 10 ? x.toFixed(1) : abs >= 1 ? x.toFixed(2) : x.toPrecision(3);
}

/** What a cell shows: the measurement, or why there is none. */
export const cellText = (m: Measured | string | null): string => (m === null ? '-' : typeof m === 'string' ? m : (m.display ?? fmtValue(m.value)));

/** The table: workload | unit | Kiln | TF.js | Kiln/TF.js | PyTorch CPU, then each row's notes. */
export function formatTable(rows: readonly Row[]): string {
  const header = ['workload', 'unit', 'Kiln', 'TF.js', 'Kiln/TF.js', 'PyTorch CPU'];
  const body = rows.map((r) => [r.workload, r.unit, cellText(r.kiln), cellText(r.tfjs), r.ratio === null ? '-' : `${r.ratio.toFixed(2)}x`, cellText(r.torch)]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ');
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...body.map(line), '', 'notes:'];
  for (const r of rows) {
    out.push(`  ${r.workload}:`);
    if (r.kiln) {
      const calls =
        r.kiln.dispatchesPerStep === undefined ? '' : `${r.kiln.dispatchesPerStep} dispatches/step, ${r.kiln.submitsPerStep?.toFixed(3)} submits/step; `;
      out.push(`    Kiln: ${calls}${r.kiln.note}`);
    }
    if (typeof r.tfjs !== 'string') out.push(`    TF.js: ${r.tfjs.note}`);
    if (typeof r.torch !== 'string') out.push(`    PyTorch: ${r.torch.note}`);
  }
  return out.join('\n');
}
