// Data files in Node: reading them, and writing them atomically (the library itself takes bytes, so
// browsers can use fetch instead).
import { randomBytes } from 'node:crypto';
import { open, readdir, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
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

/** `NAME.tmp-PID-hex`: the temporary files writeFileAtomic makes for NAME. */
const TEMP = /^(.*)\.tmp-(\d+)-[0-9a-f]{12}$/;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // alive, but not ours
  }
}

/** Removes temporary files of `name` left by writers that were killed mid-save (their process is gone). */
async function removeStaleTemps(folder: string, name: string): Promise<void> {
  const entries = await readdir(folder).catch(() => [] as string[]);
  for (const entry of entries) {
    const match = TEMP.exec(entry);
    if (match && match[1] === name && Number(match[2]) !== process.pid && !processAlive(Number(match[2]))) await rm(join(folder, entry), { force: true });
  }
}

/**
 * Writes `bytes` to `path` so that readers see the old file or the new one, never half of one, and
 * nothing is damaged: the bytes go to a temporary file in the same folder (rename is only atomic
 * within one file system) with the old file's mode, are flushed to disk, the temporary file is
 * renamed over `path`, and the folder is flushed so that the rename itself survives a crash. A path
 * that exists and is not a regular file (a device node, a folder) is refused, never replaced.
 * Temporary files of the same name left by killed writers are removed first.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const folder = dirname(path);
  const name = basename(path);
  const existing = await stat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw new Error(`cannot write ${path}: ${error.message}`);
  });
  if (existing && !existing.isFile()) throw new Error(`cannot write ${path}: it exists and is not a regular file; refusing to replace it`);
  await removeStaleTemps(folder, name);
  const temp = join(folder, `${name}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  let file: FileHandle;
  try {
    file = await open(temp, 'wx', existing ? existing.mode & 0o7777 : 0o666);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `cannot write ${path}: folder ${folder} does not exist` : `cannot write ${path}: ${(error as Error).message}`);
  }
  try {
    try {
      await file.writeFile(bytes);
      // open() applies the umask; the old file's mode is kept exactly.
      if (existing) await file.chmod(existing.mode & 0o7777);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw new Error(`cannot write ${path}: ${(error as Error).message}`);
  }
  await syncFolder(folder);
}

/** fsync of a folder: makes a rename in it durable (a no-op where folders cannot be opened, as on Windows). */
async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r').catch(() => null);
  if (!handle) return;
  try {
    await handle.sync().catch(() => undefined);
  } finally {
    await handle.close();
  }
}
