// The PyTorch CPU column: runs bench/torch_reference.py with the first Python where `import torch` works:
// `python3` on the PATH, else Debian's own /usr/bin/python3 (where the optional python3-torch installs,
// and which a pyenv or venv python3 earlier on the PATH does not see). It runs after the GPU workloads
// so that it does not compete with them for the CPU.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { Measured } from './rows';

export const TORCH_WORKLOADS = ['mnist-train', 'mnist-infer', 'linreg', 'charlm'] as const;
export type TorchWorkload = (typeof TORCH_WORKLOADS)[number];

export interface TorchColumn {
  /** Per workload: a measurement, or why there is none. */
  cells: Partial<Record<TorchWorkload, Measured>>;
  missing: string | null;
  version: string | null;
  threads: number | null;
}

interface TorchOutput {
  torch: string;
  threads: number;
  rows: Partial<Record<TorchWorkload, { value: number; ms_per_step?: number; val_loss?: number; note: string }>>;
}

const PYTHONS = ['python3', '/usr/bin/python3'];

/** The first Python that can import torch, or null. */
export function pythonWithTorch(): string | null {
  return PYTHONS.find((python) => spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0) ?? null;
}

/** `charlmIters`: the charlm workload's timed iterations, as Kiln's row. */
export function runTorchReference(workloads: readonly TorchWorkload[], reps: number, charlmIters: number): TorchColumn {
  if (workloads.length === 0) return { cells: {}, missing: 'not run', version: null, threads: null };
  const python = pythonWithTorch();
  if (!python) return { cells: {}, missing: 'n/a (python3-torch not installed)', version: null, threads: null };
  const script = join(process.cwd(), 'bench', 'torch_reference.py');
  const args = ['--reps', String(reps), '--only', workloads.join(','), '--data', join(process.cwd(), 'data', 'mnist'), '--charlm-iters', String(charlmIters)];
  const result = spawnSync(python, [script, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (result.status !== 0) {
    const why = (result.stderr || result.error?.message || `exit ${result.status}`).trim().split('\n').pop();
    return { cells: {}, missing: `failed: ${why}`, version: null, threads: null };
  }
  const output = JSON.parse(result.stdout) as TorchOutput;
  const cells: TorchColumn['cells'] = {};
  for (const [id, row] of Object.entries(output.rows) as [TorchWorkload, NonNullable<TorchOutput['rows'][TorchWorkload]>][]) {
    const perStep = row.ms_per_step === undefined ? '' : ` (${row.ms_per_step.toFixed(0)} ms/step)`;
    const loss = row.val_loss === undefined ? '' : `, val ${row.val_loss.toFixed(3)}`;
    cells[id] = {
      value: row.value,
      display: `${row.value.toFixed(1)}${perStep}${loss}`,
      note: `torch ${output.torch}, ${output.threads} threads; ${row.note}`,
    };
  }
  return { cells, missing: null, version: output.torch, threads: output.threads };
}
