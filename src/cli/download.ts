// Downloads files listed in a manifest (file name -> md5) from a mirror into a folder. A file is
// written only once its md5 matches, and atomically, so the folder never holds a partial or
// corrupt download; files already present with the right md5 are not fetched again.
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './files';

/** File name -> expected md5 (32 hex digits). */
export type Manifest = Record<string, string>;

export interface DownloadResult {
  file: string;
  path: string;
  status: 'downloaded' | 'present';
  bytes: number;
}

export function md5Hex(bytes: Uint8Array): string {
  return createHash('md5').update(bytes).digest('hex');
}

/** Checks names (plain file names, so a manifest cannot write outside the folder) and md5 syntax. */
export function checkManifest(manifest: unknown, source: string): Manifest {
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) {
    throw new Error(`manifest ${source}: expected a JSON object { "<file name>": "<md5 hex>" }`);
  }
  const entries = Object.entries(manifest);
  if (entries.length === 0) throw new Error(`manifest ${source}: lists no files`);
  for (const [file, md5] of entries) {
    if (file === '' || file === '.' || file === '..' || /[/\\]/.test(file)) throw new Error(`manifest ${source}: '${file}' is not a plain file name`);
    if (typeof md5 !== 'string' || !/^[0-9a-f]{32}$/i.test(md5))
      throw new Error(`manifest ${source}: md5 of ${file} must be 32 hex digits, got ${JSON.stringify(md5)}`);
  }
  return Object.fromEntries(entries.map(([file, md5]) => [file, (md5 as string).toLowerCase()]));
}

async function existing(path: string): Promise<{ md5: string; bytes: number } | null> {
  try {
    const bytes = new Uint8Array(await readFile(path));
    return { md5: md5Hex(bytes), bytes: bytes.length };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    // fetch() reports every network failure as "fetch failed"; the cause says which (ECONNREFUSED, ...).
    const cause = (error as Error & { cause?: unknown }).cause;
    throw new Error(`GET ${url} failed: ${cause instanceof Error ? cause.message : (error as Error).message}`);
  }
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * Fetches each manifest file from `mirror` into `dir` (created if missing), in manifest order,
 * stopping at the first failure. `log` gets one line per file.
 */
export async function downloadManifest(manifest: Manifest, mirror: string, dir: string, log: (line: string) => void = () => {}): Promise<DownloadResult[]> {
  const checked = checkManifest(manifest, '(argument)');
  const base = mirror.endsWith('/') ? mirror : `${mirror}/`;
  await mkdir(dir, { recursive: true });
  const results: DownloadResult[] = [];
  for (const [file, expected] of Object.entries(checked)) {
    const path = join(dir, file);
    const present = await existing(path);
    if (present?.md5 === expected) {
      log(`${file}: already present, md5 ok`);
      results.push({ file, path, status: 'present', bytes: present.bytes });
      continue;
    }
    const url = base + encodeURIComponent(file);
    const bytes = await fetchBytes(url);
    const actual = md5Hex(bytes);
    if (actual !== expected) {
      throw new Error(`${file}: md5 mismatch, expected ${expected}, got ${actual} (${bytes.length} bytes from ${url}); the file was not saved`);
    }
    await writeFileAtomic(path, bytes);
    log(`${file}: downloaded ${bytes.length} bytes${present !== null ? ' (replacing a file with the wrong md5)' : ''}, md5 ok`);
    results.push({ file, path, status: 'downloaded', bytes: bytes.length });
  }
  return results;
}
