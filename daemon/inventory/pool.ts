// A small pool of worker threads inspecting files in parallel (one per core by default): the queue is in the main
// thread and each worker takes one file at a time, so memory is bounded by workers × largest file. Time is bounded
// per file too: a worker that takes too long, or dies, is replaced and its file reported, never the scan lost.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { type ModuleRecord } from '../shared/model.ts';
import { type WorkerConfig, type WorkerJob, type WorkerReply, type WorkerTarget } from './scan-protocol.ts';
import { workerScript } from '../shared/assets.ts';

/**
 * A record a worker may reuse instead of inspecting again: that of an earlier file of the same size, judged at the same
 * time. The worker still reads and hashes its file, and reuses the record only when the SHA-256 is the same (the same
 * bytes); its own file block (path, name, time, digests) replaces the other file's.
 */
export interface ReuseHint {
  readonly sha256: string;
  readonly record: ModuleRecord;
}

/**
 * Vendor trees ship the same binary more than once (node.exe in two packages here): of files at least this large that
 * share a size, the second waits until the first is done and is then sent its record as a ReuseHint, sparing the
 * image digest, parsing and verification of the same bytes. Smaller files are not worth the wait.
 */
export const REUSE_MIN_BYTES = 1 << 20;

/** The first file's record, when it can stand for another file with the same bytes. */
function reusable(path: string, reply: WorkerReply): ReuseHint | undefined {
  if (!('record' in reply)) return undefined;
  const { file, ...rest } = reply.record;
  // Data has nothing to spare but the hash; a catalog's record is read under its file name; an error names its path.
  if (rest.module.format === 'unknown' || rest.module.format === 'catalog' || rest.error) return undefined;
  if (JSON.stringify(rest).includes(path)) return undefined;
  return { sha256: file.hash.sha256, record: reply.record };
}

/** The worker's own module: scan-worker.ts when run from the sources, scan-worker.js when compiled into dist/. */
const WORKER_SCRIPT = new URL(import.meta.url.endsWith('.ts') ? './scan-worker.ts' : './scan-worker.js', import.meta.url);

interface Job {
  readonly id: number;
  readonly path: string;
  readonly now: string;
  readonly target: WorkerTarget | undefined;
  /** Bytes, as the walk saw them: the largest waiting file goes first. */
  readonly size: number;
  /** Sent on its own, never batched: it was in flight in a batch when a worker failed (see replace). */
  readonly alone?: true;
  readonly resolve: (r: WorkerReply) => void;
}

interface Slot {
  worker: Worker;
  /** The worker has built its trust store: the time limit counts file work only. */
  ready: boolean;
  /**
   * Jobs sent, in order: the first is the file the worker is on (its time limit running), the next waits in the
   * worker's own queue so that it starts the moment the first ends, without a round trip through this thread
   * (for small files that round trip was most of the time). The worker takes them one at a time.
   */
  jobs: Job[];
  timer: NodeJS.Timeout | undefined;
}

/** Jobs handed to one worker at a time: the one it is on and the next. */
const JOBS_PER_WORKER = 2;

/**
 * Small files travel in batches: up to this many in flight per worker, sent in one message and answered in one (the
 * worker answers at once when its queue runs dry or a large file is next). A message each way per file was most of
 * the cost of a small file, for this thread and the worker alike.
 */
const SMALL_JOB_BYTES = 64 * 1024;
const SMALL_JOBS_PER_WORKER = 16;
const batchable = (job: Job): boolean => job.size < SMALL_JOB_BYTES && job.alone !== true;

/**
 * Heap bounds per worker. File bytes live outside the heap (Buffers); the heap holds what parsing and verifying one
 * file builds, and without a bound a worker's heap grows with every file it has seen until V8 decides to collect.
 * A file that needs more fails alone (the worker is replaced and the file reported), never the scan.
 */
const WORKER_LIMITS = { maxOldGenerationSizeMb: 96, maxYoungGenerationSizeMb: 8 };

/** Per-file time limit: generous for 1 GiB on a slow disk, finite for a file that never finishes. */
export const DEFAULT_FILE_TIMEOUT_MS = 5 * 60_000;

const sizeKey = (job: Job): string => `${job.size}@${job.now}`;

/**
 * A structured clone copies the whole ArrayBuffer under a view, and small Buffers are views into Node's shared 8 KiB
 * pool: a path sent as is cost 8 KiB of copying per file and per direction. Exact-size copies are sent instead.
 */
const exact = (b: Uint8Array): Uint8Array => (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b : new Uint8Array(b));
const compactRoots = new WeakMap<WorkerTarget['confinement'], WorkerTarget['confinement']>();
function compact(t: WorkerTarget): WorkerTarget {
  let confinement = compactRoots.get(t.confinement);
  if (!confinement) compactRoots.set(t.confinement, (confinement = { ...t.confinement, root: exact(t.confinement.root) }));
  return { ...t, confinement, abs: exact(t.abs) };
}

export class InspectPool {
  readonly config: WorkerConfig;
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private readonly timeoutMs: number;
  private nextId = 1;
  private closed = false;
  /** Set when workers cannot start at all: every file then fails with this reason. */
  private fatal: string | undefined;
  /** By size and judging time (REUSE_MIN_BYTES and up): a file of that size in progress, or the record it gave. */
  private readonly sameSize = new Map<string, ReuseHint | 'pending' | 'none'>();

  /** At most this many workers; they start when files are queued, so a scan that reads nothing starts none. */
  readonly size: number;
  /** The time each file is judged at: the configured time, or the clock when the pool was given one (a daemon). */
  private readonly now: () => string;

  constructor(config: WorkerConfig, size = Math.max(1, Math.min(availableParallelism(), 8)), timeoutMs = DEFAULT_FILE_TIMEOUT_MS, clock?: () => Date) {
    this.config = config;
    this.size = Math.max(1, size);
    this.timeoutMs = timeoutMs;
    this.now = clock ? () => clock().toISOString() : () => config.now;
  }

  /**
   * Inspects `path`; with a target, the worker opens exactly what the walk saw under the root (confined.ts). `size`
   * (when known) orders the queue: the largest waiting file is taken first, so that a big file does not start last
   * and leave the other workers idle while it finishes.
   */
  inspect(path: string, target?: WorkerTarget, size = 0): Promise<WorkerReply> {
    return new Promise((resolve) => {
      this.enqueue({ id: this.nextId++, path, target, size, resolve, now: this.now() });
      this.grow();
      this.pump();
    });
  }

  /**
   * Starts every worker now and has each load its verifiers and trust store, instead of with the first files: for a
   * scan that will read much (a first snapshot), that start-up then overlaps the scan's own. A scan that may read
   * nothing (a rescan) should not call this: its workers start only if a file changed.
   */
  warm(): void {
    while (!this.closed && this.fatal === undefined && this.slots.length < this.size) {
      const slot = this.spawn();
      this.slots.push(slot);
      slot.worker.postMessage({ preload: true });
    }
  }

  /** Workers started so far (they start on demand). */
  get started(): number {
    return this.slots.length;
  }

  /** Starts one more worker while more files wait than idle or starting workers can take. */
  private grow(): void {
    if (this.closed || this.fatal !== undefined || this.slots.length >= this.size) return;
    const available = this.slots.filter((s) => s.jobs.length === 0).length;
    if (this.queue.length > available) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const { script, eval: evaluate } = workerScript(WORKER_SCRIPT, 'scan-worker.cjs');
    const slot: Slot = { worker: new Worker(script, { eval: evaluate, workerData: this.config, resourceLimits: WORKER_LIMITS }), ready: false, jobs: [], timer: undefined };
    slot.worker.on('message', (message: { replies: WorkerReply[] } | { ready: true } | { fatal: string }) => {
      if ('ready' in message) {
        slot.ready = true;
        this.pump();
      } else if ('fatal' in message) {
        this.fatal = message.fatal;
        this.pump();
      } else {
        for (const reply of message.replies) if (slot.jobs[0]?.id === reply.id) this.finish(slot, reply);
        this.pump();
        // Work done: records kept for reuse go (a long-lived pool would otherwise keep one per size for ever).
        if (this.queue.length === 0 && this.slots.every((s) => s.jobs.length === 0)) this.sameSize.clear();
      }
    });
    // A crash (out of memory, a bug in native code) fails only the file it was on.
    slot.worker.on('error', (err) => this.replace(slot, `worker failed: ${err.message}`));
    slot.worker.on('exit', (code) => {
      if (!this.closed) this.replace(slot, `worker exited with code ${code}`);
    });
    return slot;
  }

  private finish(slot: Slot, reply: WorkerReply): void {
    clearTimeout(slot.timer);
    slot.timer = undefined;
    const job = slot.jobs.shift();
    // Only a file of REUSE_MIN_BYTES or more, the first of its size, is kept for reuse (checking every record cost the main thread).
    if (job && job.size >= REUSE_MIN_BYTES && this.sameSize.get(sizeKey(job)) === 'pending') this.settleSize(job, reusable(job.path, reply));
    // The next job, already in the worker's queue, starts now: its time limit starts with it.
    if (slot.jobs.length > 0) this.startTimer(slot);
    job?.resolve(reply);
  }

  private startTimer(slot: Slot): void {
    slot.timer = setTimeout(() => this.replace(slot, `took longer than ${this.timeoutMs} ms`), this.timeoutMs);
  }

  private replace(slot: Slot, reason: string): void {
    const i = this.slots.indexOf(slot);
    if (i < 0 || this.closed || this.fatal !== undefined) return;
    const inFlight = slot.jobs;
    clearTimeout(slot.timer);
    slot.timer = undefined;
    slot.jobs = [];
    this.slots[i] = this.spawn();
    void slot.worker.terminate();
    for (const w of inFlight) this.settleSize(w, undefined);
    const [job, ...waiting] = inFlight;
    if (job && (job.alone || !batchable(job))) {
      // Only the file the worker was on fails; those waiting behind it go back to the queue for another worker.
      for (const w of waiting) this.enqueue(w);
      job.resolve({ id: job.id, error: { code: 'LIMIT_EXCEEDED', message: `${job.path}: ${reason}` } });
    } else {
      // A batch: which of its files the worker was on is not known (answers come per batch). Each goes back to be
      // sent on its own, so the one that fails again fails alone and the rest are inspected.
      for (const w of inFlight) this.enqueue({ ...w, alone: true });
    }
    this.pump();
  }

  private pump(): void {
    if (this.fatal !== undefined) {
      for (const job of this.queue.splice(0)) job.resolve({ id: job.id, error: { code: 'CONFIG', message: `${job.path}: ${this.fatal}` } });
      return;
    }
    // Every idle worker gets a file before any worker gets a second one; then each is filled up to what it may hold.
    const sends = new Map<Slot, Job[]>();
    for (let round = 0; round < 2; round++) {
      for (const slot of this.slots) {
        if (!slot.ready) continue;
        while (this.queue.length > 0 && slot.jobs.length < (round === 0 ? 1 : SMALL_JOBS_PER_WORKER)) {
          const job = this.takeLargest((j) => this.fits(slot, j));
          if (!job) break; // nothing that fits, or only files waiting for a file of their size to finish
          slot.jobs.push(job);
          if (slot.jobs.length === 1) this.startTimer(slot);
          sends.set(slot, [...(sends.get(slot) ?? []), job]);
        }
      }
    }
    for (const [slot, jobs] of sends) slot.worker.postMessage({ jobs: jobs.map((job) => this.message(job)) });
  }

  /** Another job for this worker: a second one always; more only while every job it holds, and this one, is small. */
  private fits(slot: Slot, job: Job): boolean {
    if (slot.jobs.length < JOBS_PER_WORKER) return true;
    return batchable(job) && slot.jobs.every(batchable);
  }

  /** What the worker is sent for a job: its record to reuse when a file of its size gave one (REUSE_MIN_BYTES). */
  private message(job: Job): WorkerJob & { readonly reuse?: ReuseHint; readonly small?: true } {
    const known = this.sameSize.get(sizeKey(job));
    if (job.size >= REUSE_MIN_BYTES && known === undefined) this.sameSize.set(sizeKey(job), 'pending');
    const reuse = typeof known === 'object' ? { reuse: known } : {};
    const small = batchable(job) ? { small: true as const } : {};
    return { id: job.id, path: job.path, now: job.now, ...(job.target ? { target: compact(job.target) } : {}), ...reuse, ...small };
  }

  /** Keeps the queue ordered largest first (the earliest of equal sizes first), so taking a job is a look at its head. */
  private enqueue(job: Job): void {
    let lo = 0;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const q = this.queue[mid] as Job;
      if (q.size > job.size || (q.size === job.size && q.id < job.id)) lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, job);
  }

  /**
   * Removes and returns the largest queued job (the earliest of equal sizes) that is not waiting for a file of its size
   * in progress; undefined when every queued job is. The queue is bounded by the scan.
   */
  private takeLargest(fits: (job: Job) => boolean): Job | undefined {
    for (let i = 0; i < this.queue.length; i++) {
      const job = this.queue[i] as Job;
      if (job.size >= REUSE_MIN_BYTES && this.sameSize.get(sizeKey(job)) === 'pending') continue;
      return fits(job) ? this.queue.splice(i, 1)[0] : undefined;
    }
    return undefined;
  }

  /** The first file of its size is done: later ones get its record to reuse (or none), and may start. */
  private settleSize(job: Job, hint: ReuseHint | undefined): void {
    const key = sizeKey(job);
    if (job.size < REUSE_MIN_BYTES || this.sameSize.get(key) !== 'pending') return;
    this.sameSize.set(key, hint ?? 'none');
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const s of this.slots) clearTimeout(s.timer);
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
