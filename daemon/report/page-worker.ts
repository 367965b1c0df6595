// Worker thread of the daemon's pages (off-thread.ts): opens the history itself, renders one page, answers, ends.
import { parentPort, workerData } from 'node:worker_threads';
import { Store } from '../inventory/store/store.ts';
import { errorMessage, SealwatchError } from '../shared/errors.ts';
import { servePage } from './serve.ts';

/** What the daemon asks: the page's path and query, the history file, and the daemon's clock. */
export interface PageRequest {
  readonly db: string;
  readonly path: string;
  readonly query: string;
  readonly now: string;
}

const request = workerData as PageRequest;
try {
  // mustExist: the daemon made the history; a page never creates one.
  const store = Store.open(request.db, { mustExist: true });
  try {
    parentPort?.postMessage({ page: servePage(store, request.path, new URLSearchParams(request.query), new Date(request.now)) ?? null });
  } finally {
    store.close();
  }
} catch (err) {
  parentPort?.postMessage({ error: { code: err instanceof SealwatchError ? err.code : 'INTERNAL', message: errorMessage(err) } });
}
