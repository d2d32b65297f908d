// A language-model run's training state, beside its model.safetensors (the weights and buffers
// under PyTorch's names): training.safetensors holds the optimizer's state under `optimizer.` and
// PyTorch's state names, each dropout layer's step counter, and the trainer's own counters
// (`lm.iteration`: the windows' draw and the schedule's t; `lm.eval_step`; `lm.sums`, the running
// loss sums). Its `__metadata__` entry `kiln.lm-training` holds, as JSON, the iterations done, the
// batch and block sizes, the token counts of both splits, the optimizer's kind and hyperparameters,
// the run's settings and the kernel forms it ran. Loading checks all of it before changing anything.
import { CheckpointError, decodeSafetensors, encodeSafetensors, type FileBytes, type NamedTensor } from './checkpoint';
import { checkRunMeta, type RunSettings } from './training-state';

export const LM_TRAINING_FORMAT = 'kiln-lm-training/1';
export const LM_METADATA_KEY = 'kiln.lm-training';

export interface LmTrainingMeta {
  format: typeof LM_TRAINING_FORMAT;
  /** Iterations done. */
  iteration: number;
  batchSize: number;
  blockSize: number;
  /** Tokens in the training and validation splits (a resume must train on the same text). */
  tokens: { train: number; val: number };
  optimizer: { kind: string; hyper: number[] };
  settings: RunSettings;
  /** The kernel form each tuned kernel ran, so that a resume runs the same ones. */
  kernels: Record<string, string>;
}

export function encodeLmTrainingFile(tensors: readonly NamedTensor[], meta: LmTrainingMeta): Uint8Array {
  return encodeSafetensors(tensors, { [LM_METADATA_KEY]: JSON.stringify(meta) });
}

export function decodeLmTrainingFile(bytes: FileBytes, source: string): { tensors: Map<string, NamedTensor>; meta: LmTrainingMeta } {
  const fail = (message: string): never => {
    throw new CheckpointError(`training state ${source}: ${message}`);
  };
  const decoded = decodeSafetensors(bytes, source);
  const text = decoded.metadata[LM_METADATA_KEY];
  if (text === undefined) {
    const other = decoded.metadata['kiln.training'] !== undefined ? ' (it is the state of an epoch-based Trainer run)' : '';
    fail(`no '${LM_METADATA_KEY}' metadata: this is not a language-model training state${other}`);
  }
  let meta: unknown;
  try {
    meta = JSON.parse(text!);
  } catch {
    fail(`'${LM_METADATA_KEY}' is not valid JSON`);
  }
  const m = meta as Partial<LmTrainingMeta>;
  if (m.format !== LM_TRAINING_FORMAT) fail(`format ${JSON.stringify(m.format)}, expected ${LM_TRAINING_FORMAT}`);
  const count = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
  for (const key of ['iteration', 'batchSize', 'blockSize'] as const) if (!count(m[key])) fail(`${key} must be a whole number, got ${JSON.stringify(m[key])}`);
  if (!m.tokens || !count(m.tokens.train) || !count(m.tokens.val)) fail(`tokens must give both splits' token counts, got ${JSON.stringify(m.tokens)}`);
  checkRunMeta(m, fail);
  return { tensors: new Map(decoded.tensors.map((t) => [t.name, t])), meta: m as LmTrainingMeta };
}
