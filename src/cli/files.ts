// Data files in Node: reading them, and writing them atomically (the library itself takes bytes, so
// browsers can use fetch instead).
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { IDX_FILES } from '../train/recipes/softmax';

export async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `${path}: no such file` : `${path}: ${(error as Error).message}`);
  }
}

/** The four IDX files of an MNIST-style folder. */
export async function readIdxFolder(dir: string): Promise<Record<keyof typeof IDX_FILES, Uint8Array>> {
  const entries = await Promise.all(Object.entries(IDX_FILES).map(async ([key, name]) => [key, await readBytes(join(dir, name))] as const));
  return Object.fromEntries(entries) as Record<keyof typeof IDX_FILES, Uint8Array>;
}

/** The images and labels of one split (train or test) of an MNIST-style folder, and no other file. */
export async function readIdxSplit(dir: string, split: 'train' | 'test'): Promise<{ images: Uint8Array; labels: Uint8Array }> {
  const [images, labels] = await Promise.all([readBytes(join(dir, IDX_FILES[`${split}Images`])), readBytes(join(dir, IDX_FILES[`${split}Labels`]))]);
  return { images, labels };
}

/**
 * Writes `bytes` to `path` so that readers see the old file or the new one, never half of one: the
 * bytes go to a temporary file in the same folder (rename is only atomic within one file system),
 * are flushed to disk, then the temporary file is renamed over `path`.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const temp = join(dirname(path), `${basename(path)}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  let file: FileHandle;
  try {
    file = await open(temp, 'wx');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `cannot write ${path}: folder ${dirname(path)} does not exist` : `cannot write ${path}: ${(error as Error).message}`);
  }
  try {
    try {
      await file.writeFile(bytes);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw new Error(`cannot write ${path}: ${(error as Error).message}`);
  }
}
