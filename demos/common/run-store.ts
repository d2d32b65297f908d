// The MNIST page's unfinished training run, kept in IndexedDB so that a reload (or a closed tab)
// resumes it: the settings, the epochs done so far and the training checkpoint (trainer.saveState()),
// written at every checkpoint and removed when the run ends.
import type { TrainingState } from '../../src/browser';

export interface SavedRun<S, R> {
  settings: S;
  /** What the page showed for the epochs done (test accuracy and so on). */
  records: R[];
  state: TrainingState;
  at: { epoch: number; step: number };
}

const DB = 'kiln-demos';
const STORE = 'runs';
const KEY = 'mnist';

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(new Error(`IndexedDB: ${request.error?.message ?? 'cannot open'}`));
  });
}

async function transact<T>(mode: IDBTransactionMode, body: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await open();
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = body(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(new Error(`IndexedDB: ${tx.error?.message ?? 'transaction failed'}`));
    });
  } finally {
    db.close();
  }
}

export const savedRun = <S, R>(): Promise<SavedRun<S, R> | undefined> => transact('readonly', (s) => s.get(KEY) as IDBRequest<SavedRun<S, R> | undefined>);
export const saveRun = async <S, R>(run: SavedRun<S, R>): Promise<void> => void (await transact('readwrite', (s) => s.put(run, KEY)));
export const forgetRun = async (): Promise<void> => void (await transact('readwrite', (s) => s.delete(KEY)));
