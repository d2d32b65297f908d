// Reading data files in Node (the library itself takes bytes, so browsers can use fetch instead).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
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
