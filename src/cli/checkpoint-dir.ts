// A folder of training checkpoints, for `kiln train mnist|charlm --checkpoint-dir DIR` and `--resume DIR`:
//   DIR/epoch-1-step-200/model.safetensors     the weights (PyTorch names, load_state_dict(strict=True))
//   DIR/epoch-1-step-200/training.safetensors  the rest of the training state (src/train/training-state.ts;
//                                              src/train/lm-training-state.ts in a language model's iter-N folders)
//   DIR/latest                                 the name of the newest complete checkpoint folder
// A checkpoint is written into a temporary folder, flushed, renamed into place, and only then named
// in `latest` (written atomically); older folders are removed after that. A process killed at any
// moment leaves `latest` naming a complete checkpoint, the previous one or the new one.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { TrainingState } from '../train/training-state';
import { readBytes, writeFileAtomic } from './files';

const LATEST = 'latest';
const FOLDER = /^(epoch-\d+-step-\d+|iter-\d+)(-[0-9a-f]{8})?$/;

async function writeFlushed(path: string, bytes: Uint8Array): Promise<void> {
  const file = await open(path, 'wx');
  try {
    await file.writeFile(bytes);
    await file.sync();
  } finally {
    await file.close();
  }
}

/** Writes a checkpoint into `dir` (created if missing) and makes it the latest; returns its folder. */
export async function saveTrainingCheckpoint(dir: string, state: TrainingState, at: { epoch: number; step: number } | { iteration: number }): Promise<string> {
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  await mkdir(temp);
  try {
    await writeFlushed(join(temp, 'model.safetensors'), state.model);
    await writeFlushed(join(temp, 'training.safetensors'), state.training);
    const where = 'iteration' in at ? `iter-${at.iteration}` : `epoch-${at.epoch}-step-${at.step}`;
    const name = `${where}-${randomBytes(4).toString('hex')}`;
    await rename(temp, join(dir, name));
    await writeFileAtomic(join(dir, LATEST), new TextEncoder().encode(`${name}\n`));
    // Only now is the older checkpoint unneeded; leftovers of killed writers go too.
    for (const entry of await readdir(dir)) {
      if (entry !== name && (FOLDER.test(entry) || entry.startsWith('.tmp-'))) await rm(join(dir, entry), { recursive: true, force: true });
    }
    return join(dir, name);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw new Error(`cannot write a checkpoint into ${dir}: ${(error as Error).message}`);
  }
}

/** The latest complete checkpoint of `dir`, as its two files' bytes. */
export async function loadTrainingCheckpoint(dir: string): Promise<{ state: TrainingState; folder: string }> {
  let name: string;
  try {
    name = new TextDecoder().decode(await readBytes(join(dir, LATEST))).trim();
  } catch {
    throw new Error(`${dir}: no complete checkpoint here (no ${LATEST} file); --checkpoint-dir writes them`);
  }
  if (!FOLDER.test(name)) throw new Error(`${join(dir, LATEST)}: names '${name}', which is not a checkpoint folder`);
  const folder = join(dir, name);
  const [model, training] = await Promise.all([readBytes(join(folder, 'model.safetensors')), readBytes(join(folder, 'training.safetensors'))]);
  return { state: { model, training }, folder };
}
