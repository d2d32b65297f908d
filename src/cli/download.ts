// Downloads files listed in a manifest (file name -> md5, and optionally the size in bytes) from a
// mirror into a folder. A file is written only once its md5 matches, and atomically, so the folder
// never holds a partial or corrupt download; files already present with the right md5 are not
// fetched again. A server that never answers or stalls mid-body is given up on after `idleSeconds`
// without a byte, a body larger than the manifest's size (or than MAX_UNSIZED_BYTES) is refused while
// it streams, and a failed attempt is retried; every error names the file and the URL.
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './files';

/** File name -> expected md5 (32 hex digits), or { md5, bytes } with the exact size as well. */
export type Manifest = Record<string, string | { md5: string; bytes: number }>;

interface Expected {
  md5: string;
  bytes: number | null;
}

export interface DownloadResult {
  file: string;
  path: string;
  status: 'downloaded' | 'present';
  bytes: number;
}

export interface DownloadOptions {
  /** One line per file (and per retry). */
  log?: (line: string) => void;
  /** Called as bytes arrive: the file, bytes so far, and the expected total (null when unknown). */
  progress?: (file: string, received: number, total: number | null) => void;
  /** Give up on an attempt after this long without a byte, connecting included (default 30). */
  idleSeconds?: number;
  /** Further attempts after a network failure, a timeout or an HTTP 5xx (default 2). */
  retries?: number;
}

/** The cap on a body whose size the manifest does not give: no MNIST-style file comes near it. */
export const MAX_UNSIZED_BYTES = 256 * 1024 * 1024;

export function md5Hex(bytes: Uint8Array): string {
  return createHash('md5').update(bytes).digest('hex');
}

/** Checks names (plain file names, so a manifest cannot write outside the folder), md5 syntax and sizes. */
export function checkManifest(manifest: unknown, source: string): Manifest {
  parseManifest(manifest, source);
  return manifest as Manifest;
}

function parseManifest(manifest: unknown, source: string): [string, Expected][] {
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) {
    throw new Error(`manifest ${source}: expected a JSON object { "<file name>": "<md5 hex>" } or { "<file name>": { "md5": "<md5 hex>", "bytes": <size> } }`);
  }
  const entries = Object.entries(manifest);
  if (entries.length === 0) throw new Error(`manifest ${source}: lists no files`);
  return entries.map(([file, entry]): [string, Expected] => {
    if (file === '' || file === '.' || file === '..' || /[/\\]/.test(file)) throw new Error(`manifest ${source}: '${file}' is not a plain file name`);
    const md5: unknown = typeof entry === 'object' && entry !== null ? (entry as { md5?: unknown }).md5 : entry;
    const bytes: unknown = typeof entry === 'object' && entry !== null ? (entry as { bytes?: unknown }).bytes : null;
    if (typeof md5 !== 'string' || !/^[0-9a-f]{32}$/i.test(md5))
      throw new Error(`manifest ${source}: md5 of ${file} must be 32 hex digits, got ${JSON.stringify(md5)}`);
    if (bytes !== null && bytes !== undefined && !(Number.isSafeInteger(bytes) && (bytes as number) >= 0)) {
      throw new Error(`manifest ${source}: bytes of ${file} must be a whole number, got ${JSON.stringify(bytes)}`);
    }
    return [file, { md5: md5.toLowerCase(), bytes: typeof bytes === 'number' ? bytes : null }];
  });
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

/** A failed attempt worth repeating (the network, a timeout, a server error), as opposed to a 404 or an oversized body. */
class TransientError extends Error {}

/** One GET, streamed: the idle timer restarts with each chunk, and the size is checked as it grows. */
async function fetchOnce(url: string, file: string, expected: Expected, options: DownloadOptions): Promise<Uint8Array> {
  const idleMs = 1000 * (options.idleSeconds ?? 30);
  const cap = expected.bytes ?? MAX_UNSIZED_BYTES;
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let received = 0;
  const idle = () => new TransientError(`GET ${url}: no byte received for ${idleMs / 1000} s after ${received} bytes (--timeout changes the limit)`);
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(), idleMs);
  };
  try {
    arm();
    let response: Response;
    try {
      response = await fetch(url, { signal: controller.signal });
    } catch (error) {
      if (controller.signal.aborted) throw idle();
      // fetch() reports every network failure as "fetch failed"; the cause says which (ECONNREFUSED, ...).
      const cause = (error as Error & { cause?: unknown }).cause;
      throw new TransientError(`GET ${url} failed: ${cause instanceof Error ? cause.message : (error as Error).message}`);
    }
    if (!response.ok) {
      const message = `GET ${url}: HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
      throw response.status >= 500 ? new TransientError(message) : new Error(message);
    }
    const declared = Number(response.headers.get('content-length') ?? NaN);
    if (declared > cap) throw new Error(`GET ${url}: the server announces ${declared} bytes, more than the ${cap} expected; refused`);
    const total = expected.bytes ?? (Number.isFinite(declared) ? declared : null);
    const chunks: Uint8Array[] = [];
    const reader = response.body?.getReader();
    if (!reader) throw new TransientError(`GET ${url}: the response has no body`);
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (error) {
        if (controller.signal.aborted) throw idle();
        const cause = (error as Error & { cause?: unknown }).cause;
        throw new TransientError(
          `GET ${url}: the connection dropped after ${received} bytes (${cause instanceof Error ? cause.message : (error as Error).message})`,
        );
      }
      if (chunk.done) break;
      arm();
      received += chunk.value.length;
      if (received > cap) {
        controller.abort();
        throw new Error(
          `GET ${url}: more than the ${cap} bytes expected${expected.bytes === null ? ' (the manifest gives no size; this is the cap)' : ''}; refused`,
        );
      }
      chunks.push(chunk.value);
      options.progress?.(file, received, total);
    }
    const bytes = new Uint8Array(received);
    let at = 0;
    for (const c of chunks) {
      bytes.set(c, at);
      at += c.length;
    }
    return bytes;
  } finally {
    clearTimeout(timer);
  }
}

/** fetchOnce with retries of transient failures, each error prefixed with the file's name. */
async function fetchWithRetries(url: string, file: string, expected: Expected, options: DownloadOptions): Promise<Uint8Array> {
  const retries = options.retries ?? 2;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fetchOnce(url, file, expected, options);
    } catch (error) {
      const message = `${file}: ${(error as Error).message}`;
      if (!(error instanceof TransientError) || attempt >= retries) {
        throw new Error(error instanceof TransientError && retries > 0 ? `${message} (${attempt + 1} attempts)` : message);
      }
      options.log?.(`${message}; retrying (${attempt + 1} of ${retries})`);
    }
  }
}

/**
 * Fetches each manifest file from `mirror` into `dir` (created if missing), in manifest order,
 * stopping at the first failure. `options.log` gets one line per file.
 */
export async function downloadManifest(
  manifest: Manifest,
  mirror: string,
  dir: string,
  options: DownloadOptions | ((line: string) => void) = {},
): Promise<DownloadResult[]> {
  const settings: DownloadOptions = typeof options === 'function' ? { log: options } : options;
  const log = settings.log ?? (() => {});
  const checked = parseManifest(manifest, '(argument)');
  const base = mirror.endsWith('/') ? mirror : `${mirror}/`;
  await mkdir(dir, { recursive: true });
  const results: DownloadResult[] = [];
  for (const [file, expected] of checked) {
    const path = join(dir, file);
    const present = await existing(path);
    if (present?.md5 === expected.md5) {
      log(`${file}: already present, md5 ok`);
      results.push({ file, path, status: 'present', bytes: present.bytes });
      continue;
    }
    const url = base + encodeURIComponent(file);
    const bytes = await fetchWithRetries(url, file, expected, settings);
    const actual = md5Hex(bytes);
    if (actual !== expected.md5) {
      throw new Error(`${file}: md5 mismatch, expected ${expected.md5}, got ${actual} (${bytes.length} bytes from ${url}); the file was not saved`);
    }
    await writeFileAtomic(path, bytes);
    log(`${file}: downloaded ${bytes.length} bytes${present !== null ? ' (replacing a file with the wrong md5)' : ''}, md5 ok`);
    results.push({ file, path, status: 'downloaded', bytes: bytes.length });
  }
  return results;
}
