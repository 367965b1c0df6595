// Worker thread of the scan pool: opens a file once (confined to the root, no-follow, non-blocking: confined.ts),
// inspects it from that descriptor (streaming when it is over the in-memory bound), and checks it did not change
// while being read. Each worker builds its verification context from the same settings, once.
import { parentPort, workerData } from 'node:worker_threads';
import { errorMessage, SealwatchError } from '../shared/errors.ts';
import { closeSync, fstatSync, readSync } from 'node:fs';
import { type ModuleRecord } from '../shared/model.ts';
import { RefusedError, openConfined, openConfinedSync, readAll, type Opened } from './confined.ts';
import { checkTrustDirs } from '../config/trust-dir.ts';
import { dataRecord, digestChoice, fileBlock, isPlainData, type FileFacts } from './data-record.ts';
import { digestOnePass } from './hash.ts';
import type { ReuseHint } from './pool.ts';
import type { InspectContext } from './inspect-file.ts';
import { openNamedFile } from './read.ts';
import { statKey, type WorkerConfig, type WorkerJob, type WorkerReply } from './scan-protocol.ts';

const MAX_ATTEMPTS = 3;
/** A job, with the record of an earlier file of the same size when the pool has one (pool.ts ReuseHint); `small`: a
 * file the pool batches, whose answer may wait for the next ones'. */
type Job = WorkerJob & { readonly reuse?: ReuseHint; readonly small?: true };
const config = workerData as WorkerConfig;

// At start only the trust directories are checked (a worker that cannot read them says so once, and the pool then
// fails every file with that reason instead of restarting it forever). Parsers, verifiers and the verification context
// (the one builder, verification-context.ts) load with the first file that is code: a worker that only hashes data
// files never loads them.
const ready = Promise.resolve().then(() => checkTrustDirs(config.trustDirs));
void ready.then(
  () => parentPort?.postMessage({ ready: true }),
  (err: unknown) => parentPort?.postMessage({ fatal: errorMessage(err) }),
);

interface Verifiers {
  readonly inspectBytes: typeof import('./inspect-file.ts').inspectBytes;
  readonly inspectOpenFile: typeof import('./inspect-open.ts').inspectOpenFile;
  /** The context, judged at this job's time. */
  readonly at: (now: string) => InspectContext;
}

let verifiers: Promise<Verifiers> | undefined;
/** Set once they have loaded: later code files are read once, not once to find they are code and again to inspect. */
let loaded: Verifiers | undefined;
function loadVerifiers(): Promise<Verifiers> {
  verifiers ??= (async () => {
    const [file, open, context] = await Promise.all([import('./inspect-file.ts'), import('./inspect-open.ts'), import('./verification-context.ts')]);
    const ctx = await context.buildInspectContext(config, new Date(config.now), [], { lazyTrust: true });
    loaded = { inspectBytes: file.inspectBytes, inspectOpenFile: open.inspectOpenFile, at: (now) => context.judgedAt(ctx, new Date(now)) };
    return loaded;
  })();
  return verifiers;
}

/** Digests of data files as the context would choose them (catalogs configured → SHA-1 too). */
const dataDigests = { iocDigests: config.iocDigests === true, catalogs: config.catalogDirs.length > 0 ? true : undefined };

// The pool sends the next job before this one ends (pool.ts JOBS_PER_WORKER): jobs run one after the other, never
// two files at once, so memory stays bounded by one file per worker.
let previous: Promise<void> = Promise.resolve();
let waiting = 0;
/** How long a worker stays idle before it lets go of its read buffer (below). */
const IDLE_DROP_MS = 1000;
let idle: NodeJS.Timeout | undefined;
/**
 * Answers wait here and go to the pool together (pool.ts SMALL_JOBS_PER_WORKER): when no job is left, when enough
 * have gathered, and before a job that is not small starts — so an answer never waits behind a long file, and the
 * pool's time limit for a file never counts another file's long inspection.
 */
let answers: WorkerReply[] = [];
const MAX_ANSWERS = 16;
function send(): void {
  if (answers.length === 0) return;
  const replies = answers;
  answers = [];
  parentPort?.postMessage({ replies });
}

parentPort?.on('message', (message: { readonly jobs: readonly Job[] } | { readonly preload: true }) => {
  // Warm-up (pool.ts warm): load the verifiers and the trust store now, while the scan is still getting ready.
  if ('preload' in message) return void ready.then(loadVerifiers).catch(() => undefined);
  for (const job of message.jobs) run(job);
});

function run(job: Job): void {
  waiting++;
  clearTimeout(idle);
  // A failure outside a file's own errors (a reply that cannot be sent) ends the worker, as an uncaught error did
  // before: the pool replaces it and reports the file.
  previous = previous
    .then(async () => {
      if (!job.small) send();
      answers.push(await handle(job));
      if (answers.length >= MAX_ANSWERS) send();
    })
    .finally(() => {
      // Idle (the pool had no next file ready): hold no file bytes once that lasts. Not at once — the next file is
      // often a moment away, and dropping and re-allocating the buffer per file is what this avoids.
      if (--waiting === 0) {
        send();
        idle = setTimeout(() => (readBuffer = undefined), IDLE_DROP_MS).unref();
      }
    })
    .catch((err: unknown) => {
      process.nextTick(() => {
        throw err;
      });
    });
}

/**
 * One read buffer per worker, reused from file to file while jobs keep coming (largest files come first, so it grows
 * rarely) and dropped when the worker runs out of work. A fresh buffer per file cost a page fault per 4 KiB written
 * and the garbage collections V8 runs for external memory: on a 640 MiB tree of vendor binaries that was a third of
 * the workers' time. Safe because a record never keeps a view of the bytes (the reply is a structured clone, and the
 * certificate cache and ASN.1 reader keep copies), and a worker reads one file at a time.
 */
let readBuffer: Buffer | undefined;
const MIN_READ_BUFFER = 1 << 20;


/** readAllSync (confined.ts) into the worker's buffer: at most `size` bytes, fewer if the file is shorter now. */
function readReused(fd: number, size: number, display: string): Buffer {
  if (size > config.maxFileBytes) throw new RefusedError('TOO_LARGE', display, `${size} bytes is over the ${config.maxFileBytes}-byte limit for a read into memory`);
  if (!readBuffer || readBuffer.length < size) readBuffer = Buffer.allocUnsafeSlow(Math.max(size, MIN_READ_BUFFER));
  let read = 0;
  while (read < size) {
    const n = readSync(fd, readBuffer, read, size - read, read);
    if (n === 0) break;
    read += n;
  }
  return readBuffer.subarray(0, read);
}

async function handle(job: Job): Promise<WorkerReply> {
  try {
    await ready;
    return await inspectStable(job);
  } catch (err) {
    const refusal = err instanceof RefusedError ? { refusal: err.refusal } : {};
    return { id: job.id, error: { code: err instanceof SealwatchError ? err.code : 'IO', message: errorMessage(err), ...refusal } };
  }
}

/**
 * A file under the root read in blocking calls (this thread does nothing else meanwhile): the same confined open and
 * checks (confined.ts openConfinedSync), the same in-memory inspection, the same fstat before and after. Undefined
 * when that path does not apply (not Linux, a path too long to open whole, a file over the in-memory bound): the
 * asynchronous path below then handles it.
 */
function inspectSync(job: Job, t: NonNullable<Job['target']>, v: Verifiers | undefined): { stat: string; record: ModuleRecord } | 'changed' | 'needs-verifiers' | undefined {
  const opened = openConfinedSync(t.confinement, t.abs, { dev: t.dev, ino: t.ino });
  if (!opened) return undefined;
  try {
    if (opened.stat.size > config.maxFileBytes) return undefined;
    const before = statKey(opened.stat);
    const bytes = readReused(opened.fd, opened.stat.size, job.path);
    const facts = { path: job.path, size: bytes.length, mtime: opened.stat.mtime };
    const record =
      (job.reuse ? reused(facts, bytes, job.reuse) : undefined) ??
      (isPlainData(bytes) ? dataRecord(facts, bytes, dataDigests) : v?.inspectBytes(facts, bytes, v.at(job.now)));
    if (!record) return 'needs-verifiers';
    const after = statKey(fstatSync(opened.fd));
    return before === after ? { stat: after, record } : 'changed';
  } finally {
    closeSync(opened.fd);
  }
}

/**
 * The record of an earlier file with the same bytes (pool.ts ReuseHint), with this file's own file block; undefined
 * when the SHA-256 differs (then the file is inspected as usual). The digests are the ones inspection would compute.
 */
function reused(facts: FileFacts, bytes: Uint8Array, hint: ReuseHint): ModuleRecord | undefined {
  if (bytes.length !== hint.record.file.size) return undefined;
  const digests = digestOnePass(bytes, undefined, digestChoice(dataDigests));
  if (digests.sha256 !== hint.sha256) return undefined;
  const interpreter = hint.record.file.interpreter;
  return { ...hint.record, file: { ...fileBlock(facts, digests), ...(interpreter !== undefined ? { interpreter } : {}) } };
}

/** A file opened asynchronously: data is hashed here; code loads the verifiers (once) and is inspected by them. */
async function inspectOpened(job: Job, facts: { path: string; size: number; mtime: Date }, opened: Opened): Promise<ModuleRecord> {
  if (opened.stat.size <= config.maxFileBytes) {
    const bytes = await readAll(opened.handle, opened.stat.size, config.maxFileBytes, job.path);
    const read = { ...facts, size: bytes.length };
    if (isPlainData(bytes)) return dataRecord(read, bytes, dataDigests);
    const v = await loadVerifiers();
    return v.inspectBytes(read, bytes, v.at(job.now));
  }
  const v = await loadVerifiers();
  return v.inspectOpenFile(facts, opened.handle, opened.stat.size, v.at(job.now), config.maxFileBytes);
}

/** Never store a torn record: read from one descriptor, fstat before and after; if the file changed, read again. */
async function inspectStable(job: Job): Promise<WorkerReply> {
  let v = loaded;
  for (let attempt = 1; ; attempt++) {
    const t = job.target;
    let fast = t ? inspectSync(job, t, v) : undefined;
    if (t && fast === 'needs-verifiers') {
      // Code: load what inspects it (once per worker) and read the file again.
      v = await loadVerifiers();
      fast = inspectSync(job, t, v);
    }
    if (fast === 'changed') {
      if (attempt >= MAX_ATTEMPTS) throw new SealwatchError('IO', `${job.path}: kept changing while being read (${MAX_ATTEMPTS} attempts)`, { file: job.path });
      continue;
    }
    if (fast === 'needs-verifiers') throw new SealwatchError('INTERNAL', `${job.path}: not inspected although the verifiers are loaded`, { file: job.path });
    if (fast) return { id: job.id, ...fast };
    const opened: Opened = t ? await openConfined(t.confinement, t.abs, { dev: t.dev, ino: t.ino }) : await openNamedFile(job.path);
    try {
      const before = statKey(opened.stat);
      const facts = { path: job.path, size: opened.stat.size, mtime: opened.stat.mtime };
      const record = await inspectOpened(job, facts, opened);
      const after = statKey(await opened.handle.stat());
      if (before === after) return { id: job.id, stat: after, record };
    } finally {
      await opened.handle.close();
    }
    if (attempt >= MAX_ATTEMPTS) throw new SealwatchError('IO', `${job.path}: kept changing while being read (${MAX_ATTEMPTS} attempts)`, { file: job.path });
  }
}
