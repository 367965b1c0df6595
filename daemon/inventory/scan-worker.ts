// Worker thread of the scan pool: opens a file once (confined to the root, no-follow, non-blocking: confined.ts),
// inspects it from that descriptor (streaming when it is over the in-memory bound), and checks it did not change
// while being read. Each worker builds its verification context from the same settings, once.
import { parentPort, workerData } from 'node:worker_threads';
import { errorMessage, SealwatchError } from '../shared/errors.ts';
import { closeSync, fstatSync } from 'node:fs';
import { type ModuleRecord } from '../shared/model.ts';
import { RefusedError, openConfined, openConfinedSync, readAllSync, type Opened } from './confined.ts';
import { inspectBytes, type InspectContext } from './inspect-file.ts';
import { buildInspectContext, judgedAt } from './verification-context.ts';
import { inspectOpenFile } from './inspect-open.ts';
import { openNamedFile } from './read.ts';
import { statKey, type WorkerConfig, type WorkerJob, type WorkerReply } from './scan-protocol.ts';

const MAX_ATTEMPTS = 3;
const config = workerData as WorkerConfig;

// The one context builder (verification-context.ts); each file is then judged at its job's time.
const ready = buildInspectContext(config, new Date(config.now), [], { lazyTrust: true });
// A worker that cannot build its context (unreadable trust store) says so once; the pool then fails every file
// with that reason instead of restarting it forever.
void ready.then(
  () => parentPort?.postMessage({ ready: true }),
  (err: unknown) => parentPort?.postMessage({ fatal: errorMessage(err) }),
);

// The pool sends the next job before this one ends (pool.ts JOBS_PER_WORKER): jobs run one after the other, never
// two files at once, so memory stays bounded by one file per worker.
let previous: Promise<void> = Promise.resolve();
parentPort?.on('message', (job: WorkerJob) => {
  // A failure outside a file's own errors (a reply that cannot be sent) ends the worker, as an uncaught error did
  // before: the pool replaces it and reports the file.
  previous = previous.then(() => handle(job)).catch((err: unknown) => {
    process.nextTick(() => {
      throw err;
    });
  });
});

async function handle(job: WorkerJob): Promise<void> {
  const ctx = await ready.catch(() => undefined);
  if (!ctx) return;
  let reply: WorkerReply;
  try {
    reply = await inspectStable(job, judgedAt(ctx, new Date(job.now)));
  } catch (err) {
    const refusal = err instanceof RefusedError ? { refusal: err.refusal } : {};
    reply = { id: job.id, error: { code: err instanceof SealwatchError ? err.code : 'IO', message: errorMessage(err), ...refusal } };
  }
  parentPort?.postMessage(reply);
}

/**
 * A file under the root read in blocking calls (this thread does nothing else meanwhile): the same confined open and
 * checks (confined.ts openConfinedSync), the same in-memory inspection, the same fstat before and after. Undefined
 * when that path does not apply (not Linux, a path too long to open whole, a file over the in-memory bound): the
 * asynchronous path below then handles it.
 */
function inspectSync(job: WorkerJob, t: NonNullable<WorkerJob['target']>, ctx: InspectContext): { stat: string; record: ModuleRecord } | 'changed' | undefined {
  const opened = openConfinedSync(t.confinement, t.abs, { dev: t.dev, ino: t.ino });
  if (!opened) return undefined;
  try {
    if (opened.stat.size > config.maxFileBytes) return undefined;
    const before = statKey(opened.stat);
    const bytes = readAllSync(opened.fd, opened.stat.size, config.maxFileBytes, job.path);
    const record = inspectBytes({ path: job.path, size: bytes.length, mtime: opened.stat.mtime }, bytes, ctx);
    const after = statKey(fstatSync(opened.fd));
    return before === after ? { stat: after, record } : 'changed';
  } finally {
    closeSync(opened.fd);
  }
}

/** Never store a torn record: read from one descriptor, fstat before and after; if the file changed, read again. */
async function inspectStable(job: WorkerJob, ctx: InspectContext): Promise<WorkerReply> {
  for (let attempt = 1; ; attempt++) {
    const t = job.target;
    const fast = t ? inspectSync(job, t, ctx) : undefined;
    if (fast === 'changed') {
      if (attempt >= MAX_ATTEMPTS) throw new SealwatchError('IO', `${job.path}: kept changing while being read (${MAX_ATTEMPTS} attempts)`, { file: job.path });
      continue;
    }
    if (fast) return { id: job.id, ...fast };
    const opened: Opened = t ? await openConfined(t.confinement, t.abs, { dev: t.dev, ino: t.ino }) : await openNamedFile(job.path);
    try {
      const before = statKey(opened.stat);
      const facts = { path: job.path, size: opened.stat.size, mtime: opened.stat.mtime };
      const record = await inspectOpenFile(facts, opened.handle, opened.stat.size, ctx, config.maxFileBytes);
      const after = statKey(await opened.handle.stat());
      if (before === after) return { id: job.id, stat: after, record };
    } finally {
      await opened.handle.close();
    }
    if (attempt >= MAX_ATTEMPTS) throw new SealwatchError('IO', `${job.path}: kept changing while being read (${MAX_ATTEMPTS} attempts)`, { file: job.path });
  }
}
