// Command-line options of `npm run bench` / `node dist/bench.js` (documented at the top of bench/main.ts).

export const WORKLOADS = ['matmul', 'conv', 'train', 'infer', 'linreg', 'softmax', 'eager', 'ceiling', 'charlm', 'f16'] as const;
export type Workload = (typeof WORKLOADS)[number];

export interface BenchOptions {
  adapter: string | undefined;
  only: ReadonlySet<Workload>;
  /** Timed repetitions per workload (fewer for the CNN workloads on software adapters). */
  reps: number;
  /** Leave out the TensorFlow.js column (Kiln alone, e.g. while tuning a kernel). */
  tfjs: boolean;
  /** Leave out the PyTorch column. */
  torch: boolean;
  /** Timed iterations of the charlm workload (default: 20 on a software adapter, 200 on a GPU; 2000: the whole recipe). */
  charlmIters: number | null;
}

export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  let adapter: string | undefined;
  let only = new Set<Workload>(WORKLOADS);
  let reps = 5;
  let tfjs = true;
  let torch = true;
  let charlmIters: number | null = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`bench: ${arg} needs a value`);
      return v;
    };
    if (arg === '--adapter') adapter = value();
    else if (arg === '--only') {
      const names = value()
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const unknown = names.filter((n) => !(WORKLOADS as readonly string[]).includes(n));
      if (unknown.length || names.length === 0)
        throw new Error(`bench: unknown workload(s) '${unknown.join(',')}' in --only; expected some of ${WORKLOADS.join(', ')}`);
      only = new Set(names as Workload[]);
    } else if (arg === '--reps') {
      reps = Number(value());
      if (!Number.isInteger(reps) || reps < 1) throw new Error(`bench: --reps must be a positive integer, got ${argv[i]}`);
    } else if (arg === '--quick') reps = 3;
    else if (arg === '--no-tfjs') tfjs = false;
    else if (arg === '--no-torch') torch = false;
    else if (arg === '--charlm-iters') {
      charlmIters = Number(value());
      if (!Number.isInteger(charlmIters) || charlmIters < 10) throw new Error(`bench: --charlm-iters must be an integer of at least 10, got ${argv[i]}`);
    } else
      throw new Error(
        `bench: unknown option '${arg}' (options: --adapter NAME, --only ${WORKLOADS.join(',')}, --reps N, --quick, --no-tfjs, --no-torch, --charlm-iters N)`,
      );
  }
  return { adapter, only, reps, tfjs, torch, charlmIters };
}
