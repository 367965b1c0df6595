// Worker thread of the daemon's pages (off-thread.ts): opens the history itself, renders one page, answers, ends.
import { parentPort, workerData } from 'node:worker_threads';
import { Store } from '../inventory/store/store.ts';
import { errorMessage, SealwatchError } from '../shared/errors.ts';
import { servePage } from './serve.ts';

/** What the daemon asks: the page's path and query, its history (file and id), and the daemon's clock. */
export interface PageRequest {
  readonly db: string;
  readonly databaseId: string | undefined;
  readonly path: string;
  readonly query: string;
  readonly now: string;
}

const request = workerData as PageRequest;
try {
  // Read-only, and only the daemon's own history (the same database id): a page never writes, creates or migrates one.
  const store = Store.openReadOnly(request.db, request.databaseId !== undefined ? { databaseId: request.databaseId } : {});
  try {
    parentPort?.postMessage({ page: servePage(store, request.path, new URLSearchParams(request.query), new Date(request.now)) ?? null });
  } finally {
    store.close();
  }
} catch (err) {
  parentPort?.postMessage({ error: { code: err instanceof SealwatchError ? err.code : 'INTERNAL', message: errorMessage(err) } });
}
