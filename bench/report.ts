// The benchmark's conclusions: the adapter's best matmul rate, the issue's targets, and the JSON report
// written to bench/results/<adapter>.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AdapterSummary } from '../src/device/adapter-info';
import type { Row } from './rows';

export interface MatmulRate {
  library: 'Kiln' | 'TF.js';
  shape: string;
  gflops: number;
}

export function bestRate(rates: readonly MatmulRate[], library?: MatmulRate['library']): MatmulRate | null {
  return rates.filter((r) => !library || r.library === library).reduce<MatmulRate | null>((best, r) => (best && best.gflops >= r.gflops ? best : r), null);
}

export interface Target {
  target: string;
  goal: number;
  measured: number | null;
  met: boolean | null;
}

/** Issue 5's targets: training >= 10x TF.js, matmul >= 1.5x TF.js at both shapes, a training step >= 70% of the best matmul rate. */
export function targetsOf(rows: readonly Row[], trainingShare: number | null): Target[] {
  const ratioOf = (id: string) => rows.find((r) => r.id === id)?.ratio ?? null;
  return [
    { target: 'MNIST CNN training >= 10x TF.js images/s', goal: 10, measured: ratioOf('mnist-train') },
    { target: 'matmul 1024^3 >= 1.5x TF.js', goal: 1.5, measured: ratioOf('matmul-1024') },
    { target: 'matmul fc1 shape >= 1.5x TF.js', goal: 1.5, measured: ratioOf('matmul-fc1') },
    { target: "training step >= 70% of the adapter's best matmul rate", goal: 0.7, measured: trainingShare },
  ].map((t) => ({ ...t, met: t.measured === null ? null : t.measured >= t.goal }));
}

export function formatTargets(targets: readonly Target[]): string {
  const lines = targets.map((t) => `  ${t.target}: ${t.measured === null ? 'not measured' : `${t.measured.toFixed(2)} (${t.met ? 'met' : 'not met'})`}`);
  return ['targets:', ...lines].join('\n');
}

export interface Report {
  adapter: AdapterSummary;
  options: { reps: number; only: string[] };
  tfjs: { version: string; backend: string; smallMatmulCheck: number } | { missing: string };
  torch: { version: string; threads: number | null } | { missing: string };
  rows: Row[];
  matmulRates: MatmulRate[];
  bestMatmul: MatmulRate | null;
  trainingGflops: number | null;
  trainingShareOfBestMatmul: number | null;
  targets: Target[];
}

/** Writes the report with the date and each row's ratio; returns the file's path. */
export function writeReport(report: Report): string {
  const dir = join(process.cwd(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${report.adapter.backend}.json`);
  const ratios = Object.fromEntries(report.rows.filter((r) => r.ratio !== null).map((r) => [r.id, r.ratio]));
  writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), ...report, ratios }, null, 2));
  return file;
}
