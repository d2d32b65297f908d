// The tuning cache as a JSON file, for Node. This file imports no Node module: src/device/node.ts
// passes in the few synchronous `node:fs` functions it uses, so src/ keeps its one Node entry.
import type { TuningStore } from './tuning-store';

/** The part of `node:fs` the file store needs. */
export interface SyncFileSystem {
  readFileSync(path: string, encoding: 'utf8'): string;
  writeFileSync(path: string, data: string): void;
  renameSync(from: string, to: string): void;
  mkdirSync(path: string, options: { recursive: true }): unknown;
}

/**
 * A store at `path`. Writes go to a temporary file beside it, then a rename, so a reader (another
 * process compiling at the same time) sees the old document or the new one, never half of one.
 */
export function fileTuningStore(path: string, fs: SyncFileSystem): TuningStore {
  return {
    where: path,
    read() {
      try {
        return fs.readFileSync(path, 'utf8');
      } catch (error) {
        if ((error as { code?: unknown }).code === 'ENOENT') return null;
        throw error;
      }
    },
    write(text) {
      const slash = path.lastIndexOf('/');
      if (slash > 0) fs.mkdirSync(path.slice(0, slash), { recursive: true });
      const temporary = `${path}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.tmp`;
      fs.writeFileSync(temporary, text);
      fs.renameSync(temporary, path);
    },
  };
}
