// What a training step depends on, as two safetensors files, so that a stopped run resumes exactly:
// - model.safetensors: the parameters under PyTorch's names (torch's load_state_dict(strict=True)
//   takes it as it is);
// - training.safetensors: everything else. Tensors: the optimizer's state under `optimizer.` and
//   PyTorch's state names (`optimizer.fc1.weight.momentum_buffer`, `optimizer.step`), each dropout
//   layer's step counter (`dropout.dropout1.step`), and in the middle of an epoch the epoch's order
//   (`data.order`) and the running sums of loss and correct answers (`trainer.sums`). Scalars, in the
//   `__metadata__` entry `kiln.training` as JSON: the format, the epochs completed and the steps done
//   in the current one, the shuffle generator's position, the batch size, the number of examples,
//   the optimizer's kind and hyperparameters, the run's settings (net, lr, ... as the caller names
//   them), and the form each tuned kernel ran (so that a resume runs the same kernels).
// Loading validates all of it before it changes anything, with messages that name the mismatch.
import type { Variable } from '../graph/variable';
import { CheckpointError, decodeSafetensors, encodeSafetensors, type FileBytes, type NamedTensor } from './checkpoint';

export const TRAINING_FORMAT = 'kiln-training/1';
export const METADATA_KEY = 'kiln.training';

/** A run's settings as the caller names them (`{ net: 'full', lr: 0.025 }`): a resume must match them. */
export type RunSettings = Record<string, string | number | boolean | null>;

export interface TrainingMeta {
  format: typeof TRAINING_FORMAT;
  /** Epochs completed. */
  epoch: number;
  /** Steps done in the epoch after those (0: at an epoch boundary). */
  step: number;
  batchSize: number;
  /** Examples of the dataset the run trains on. */
  examples: number;
  shuffle: { counter: number; used: number };
  optimizer: { kind: string; hyper: number[] };
  settings: RunSettings;
  /** The kernel form each tuned kernel ran (kernel key -> variant), so that a resume runs the same ones. */
  kernels: Record<string, string>;
}

/** The two files of a training checkpoint, as bytes (Node writes them into a folder, a browser into IndexedDB). */
export interface TrainingState {
  model: Uint8Array;
  training: Uint8Array;
}

export function encodeTrainingFile(tensors: readonly NamedTensor[], meta: TrainingMeta): Uint8Array {
  return encodeSafetensors(tensors, { [METADATA_KEY]: JSON.stringify(meta) });
}

export function decodeTrainingFile(bytes: FileBytes, source: string): { tensors: Map<string, NamedTensor>; meta: TrainingMeta } {
  const fail = (message: string): never => {
    throw new CheckpointError(`training state ${source}: ${message}`);
  };
  const decoded = decodeSafetensors(bytes, source);
  const text = decoded.metadata[METADATA_KEY];
  if (text === undefined) fail(`no '${METADATA_KEY}' metadata: this is not a Kiln training state (a weights file, perhaps)`);
  let meta: unknown;
  try {
    meta = JSON.parse(text!);
  } catch {
    fail(`'${METADATA_KEY}' is not valid JSON`);
  }
  const m = meta as Partial<TrainingMeta>;
  if (m.format !== TRAINING_FORMAT) fail(`format ${JSON.stringify(m.format)}, expected ${TRAINING_FORMAT}`);
  const count = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
  for (const key of ['epoch', 'step', 'batchSize', 'examples'] as const)
    if (!count(m[key])) fail(`${key} must be a whole number, got ${JSON.stringify(m[key])}`);
  if (!m.shuffle || !count(m.shuffle.counter) || !count(m.shuffle.used)) fail(`shuffle must be a generator position, got ${JSON.stringify(m.shuffle)}`);
  checkRunMeta(m, fail);
  return { tensors: new Map(decoded.tensors.map((t) => [t.name, t])), meta: m as TrainingMeta };
}

/** Differences between the settings a checkpoint was made with and this run's, as "name: checkpoint X, this run Y". */
export function settingsMismatch(saved: RunSettings, now: RunSettings): string[] {
  const keys = [...new Set([...Object.keys(saved), ...Object.keys(now)])];
  return keys
    .filter((k) => saved[k] !== now[k])
    .map((k) => `${k}: the checkpoint has ${JSON.stringify(saved[k] ?? null)}, this run ${JSON.stringify(now[k] ?? null)}`);
}

/** What both kinds of training state record of a run besides their own counters. */
export interface RunMeta {
  optimizer: { kind: string; hyper: number[] };
  settings: RunSettings;
  kernels: Record<string, string>;
}

/** Checks a decoded state's optimizer, settings and kernel forms are well formed (src/train/lm-training-state.ts too). */
export function checkRunMeta(m: Partial<RunMeta>, fail: (message: string) => never): void {
  if (!m.optimizer || typeof m.optimizer.kind !== 'string' || !Array.isArray(m.optimizer.hyper)) fail('optimizer must name its kind and hyperparameters');
  if (typeof m.settings !== 'object' || m.settings === null) fail('settings must be an object');
  if (typeof m.kernels !== 'object' || m.kernels === null || !Object.values(m.kernels).every((v) => typeof v === 'string'))
    fail('kernels must map kernel keys to form names');
}

/**
 * The checks both trainers' loadState() make before changing anything, each failing through `fail`
 * with what differs: the optimizer and its hyperparameters, the run's settings, and the tensors:
 * every expected one present with its dtype and shape, the `alsoNeeded` ones present, nothing else.
 */
export function checkTrainingState(
  saved: RunMeta,
  now: { optimizer: { kind: string; hyper: number[] }; settings: RunSettings },
  tensors: ReadonlyMap<string, NamedTensor>,
  expected: ReadonlyMap<string, Variable>,
  alsoNeeded: readonly string[],
  fail: (message: string) => never,
): void {
  const { kind, hyper } = now.optimizer;
  if (saved.optimizer.kind !== kind) fail(`it was made with the ${saved.optimizer.kind} optimizer, this run uses ${kind}`);
  if (saved.optimizer.hyper.join() !== hyper.join())
    fail(`its ${kind} hyperparameters are [${saved.optimizer.hyper.join(', ')}], this run's [${hyper.join(', ')}]`);
  const mismatch = settingsMismatch(saved.settings, now.settings);
  if (mismatch.length) fail(`its settings differ from this run's: ${mismatch.join('; ')}`);
  const names = [...expected.keys(), ...alsoNeeded];
  const missing = names.filter((n) => !tensors.has(n));
  if (missing.length) fail(`missing ${missing.join(', ')} (a checkpoint of another model or optimizer?)`);
  const unexpected = [...tensors.keys()].filter((n) => !names.includes(n));
  if (unexpected.length) fail(`unexpected ${unexpected.join(', ')} (a checkpoint of another model or optimizer?)`);
  for (const [name, v] of expected) {
    const t = tensors.get(name)!;
    if (t.dtype !== v.dtype || t.shape.join() !== v.shape.join())
      fail(`${name} is ${t.dtype}[${t.shape.join(',')}], this run's is ${v.dtype}[${v.shape.join(',')}]`);
  }
}
