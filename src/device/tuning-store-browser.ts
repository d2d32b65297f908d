// The tuning cache in a browser: one localStorage entry, or memory where localStorage is missing
// or refused (a sandboxed frame, storage disabled), so tuning still works for the page's lifetime.
import { MemoryTuningStore, type TuningStore } from './tuning-store';

export const LOCAL_STORAGE_KEY = 'kiln.tuning';

export function browserTuningStore(key = LOCAL_STORAGE_KEY): TuningStore {
  let storage: Storage | undefined;
  try {
    storage = (globalThis as { localStorage?: Storage }).localStorage;
  } catch {
    storage = undefined; // reading window.localStorage itself throws where storage is blocked
  }
  if (!storage) return new MemoryTuningStore();
  const store = storage;
  return {
    where: `localStorage '${key}'`,
    read: () => store.getItem(key),
    write: (text) => store.setItem(key, text),
  };
}
