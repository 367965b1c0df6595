// The daemon's pages (/report, /ioc) rendered in a worker thread. Reading a large history and rendering it takes
// seconds (report bench: 1.6 s for 2,000 snapshots); on the daemon's own thread that would stall its watchers, scans,
// alert deliveries and /healthz for as long. One page at a time: a request that comes while one renders is told to
// retry (503, Retry-After), so a client refreshing in a loop cannot pile up workers.
import { Worker } from 'node:worker_threads';
import { workerScript } from '../shared/assets.ts';
import { type PageAnswer, servePage } from './serve.ts';
import { type Store } from '../inventory/store/store.ts';
import type { PageRequest } from './page-worker.ts';

/** The worker's own module: page-worker.ts from the sources, page-worker.js compiled into dist/. */
const WORKER_SCRIPT = new URL(import.meta.url.endsWith('.ts') ? './page-worker.ts' : './page-worker.js', import.meta.url);
/** Its name among a single executable's embedded scripts (scripts/package/bundle.ts). */
export const PAGE_WORKER_ASSET = 'page-worker.cjs';
const PAGES = new Set(['/report', '/ioc']);

type Reply = { readonly page: PageAnswer | null } | { readonly error: { readonly code: string; readonly message: string } };

export class PageRenderer {
  private readonly store: Store;
  private rendering = false;

  constructor(store: Store) {
    this.store = store;
  }

  /** The page for `path`, or undefined when it is not one (the endpoint answers 404). */
  async serve(path: string, query: URLSearchParams, now: Date): Promise<PageAnswer | undefined> {
    if (!PAGES.has(path)) return undefined;
    // An in-memory history (tests, tools) cannot be opened by another thread: rendered here.
    if (this.store.file === ':memory:') return servePage(this.store, path, query, now);
    if (this.rendering) return busy();
    this.rendering = true;
    try {
      return await render({ db: this.store.file, databaseId: this.store.meta('database_id'), path, query: query.toString(), now: now.toISOString() });
    } finally {
      this.rendering = false;
    }
  }
}

function busy(): PageAnswer {
  return { status: 503, type: 'text/plain; charset=utf-8', body: 'another page is being rendered: try again in a moment\n', headers: { 'retry-after': '2' } };
}

function render(request: PageRequest): Promise<PageAnswer | undefined> {
  const { script, eval: evaluate } = workerScript(WORKER_SCRIPT, PAGE_WORKER_ASSET);
  const worker = new Worker(script, { eval: evaluate, workerData: request });
  // A page still rendering never holds the daemon's exit: the answer is moot once the endpoint is closed.
  worker.unref();
  return new Promise<PageAnswer | undefined>((resolve, reject) => {
    let answered = false;
    worker.once('message', (reply: Reply) => {
      answered = true;
      if ('page' in reply) resolve(reply.page ?? undefined);
      else reject(new Error(`${reply.error.code}: ${reply.error.message}`));
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (!answered) reject(new Error(`the page worker ended (${code}) without an answer`));
    });
  });
}
