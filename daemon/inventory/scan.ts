// Walks an app root and produces one entry per file: records of files unchanged since the previous snapshot (same
// device, inode, size, mtime, ctime) are reused without reading; the rest are read once and inspected in parallel.
// Nothing outside the root is read (walk.ts, confined.ts); paths are the lossless text form of the names (names.ts);
// links, FIFOs, sockets, devices and mount points are reported in `special`, and whatever cannot be read is in
// `unreadable` with the reason — one bad entry never costs the snapshot.
import { createHash } from 'node:crypto';
import { lstat } from 'node:fs/promises';
import { sep } from 'node:path';
import { errorMessage } from '../shared/errors.ts';
import { type ModuleRecord } from '../shared/model.ts';
import { confine, type RefusalCode } from './confined.ts';
import { type InspectPool } from './pool.ts';
import { BUNDLE_NAME } from './bundle-name.ts';
import { bytesText } from './names.ts';
import { statKey, type WorkerReply } from './scan-protocol.ts';
import { walkConfined, type SpecialEntry } from './walk.ts';

export { type SpecialEntry, type SpecialKind } from './walk.ts';

/** What the scan needs to know of a path's previous state to skip it when unchanged. */
export interface PreviousFile {
  readonly stat: string;
  readonly recordId: number;
}

export interface ScannedFile {
  /** Relative to the root, '/'-separated on every platform, in the lossless text form of names.ts. */
  readonly path: string;
  readonly stat: string;
  /** Freshly inspected record; absent when `reusedRecordId` is set, or when it was handed to `onRecord`. */
  readonly record?: ModuleRecord;
  readonly reusedRecordId?: number;
  /** The fresh record went to `ScanOptions.onRecord` as it arrived and is not kept here. */
  readonly streamed?: true;
}

export interface UnreadableEntry {
  readonly path: string;
  readonly reason: string;
  /** Why it was refused, when it was (confined.ts): SYMLINK, NOT_REGULAR, CHANGED, OUTSIDE_ROOT, OTHER_FILESYSTEM, … */
  readonly refusal?: RefusalCode;
}

export interface ScanOutcome {
  readonly files: readonly ScannedFile[];
  /** Files that could not be read (permission, vanished, kept changing, refused): named with the reason. */
  readonly unreadable: readonly UnreadableEntry[];
  /** Kept for callers of the first shape: `special` entries that were not inspected, as path and reason. */
  readonly skipped: ReadonlyArray<{ readonly path: string; readonly reason: string }>;
  /** Links, FIFOs, sockets, devices and mount points at their paths: recorded, never dropped. */
  readonly special: readonly SpecialEntry[];
  readonly read: number;
  readonly reused: number;
}

export interface ScanOptions {
  /** Enter directories on other file systems or mounts under the root (default false: recorded, not entered). */
  readonly crossFilesystems?: boolean;
  /**
   * Each fresh record as it arrives (files and bundles). When given, the outcome keeps only path and stat for them
   * (`streamed: true`), so a baseline of many files holds no records at all: memory is what the caller keeps.
   */
  readonly onRecord?: (file: { readonly path: string; readonly stat: string; readonly record: ModuleRecord }) => void | Promise<void>;
  /**
   * Each file unchanged since the previous snapshot. When given, the outcome keeps such files only where a bundle's
   * key needs them (under a bundle directory), so a rescan of 100,000 unchanged files holds no list of them.
   */
  readonly onReused?: (path: string) => void;
}

/** Verifies a bundle directory (inventory/bundle.ts), when the scan finds one whose files changed. */
export type BundleInspector = (dir: string) => Promise<ModuleRecord | undefined>;

/** Files handed to the pool and not yet answered: bounds what the walk runs ahead of the workers. */
const MAX_IN_FLIGHT = 512;

/** A path's previous state, looked up as the walk reaches it (a Map will do; the scan asks the store per path). */
export interface PreviousLookup {
  get(path: string): PreviousFile | undefined;
}

export async function scanTree(root: string, previous: PreviousLookup, pool: InspectPool, inspectBundleAt?: BundleInspector, options: ScanOptions = {}): Promise<ScanOutcome> {
  const c = await confine(root, options.crossFilesystems ?? false);
  const base = bytesText(c.root);
  const rootIsDir = (await lstat(Buffer.from(c.root))).isDirectory();
  const display = (rel: string): string => (rel === '.' || !rootIsDir ? base : `${base.endsWith(sep) ? base : base + sep}${rel.split('/').join(sep)}`);
  const bundleDirs: Array<{ dir: string; rel: string }> = [];
  const skipped: Array<{ path: string; reason: string }> = [];
  const special: SpecialEntry[] = [];
  const unreadable: UnreadableEntry[] = [];
  const files: ScannedFile[] = [];
  const inFlight = new Set<Promise<void>>();
  let slotFreed: (() => void) | undefined;
  let reused = 0;

  const failure: { fatal?: { err: unknown } } = {};
  const stopIfFailed = (): void => {
    if (failure.fatal) throw failure.fatal.err;
  };
  const keep = async (path: string, stat: string, record: ModuleRecord): Promise<void> => {
    if (!options.onRecord) {
      files.push({ path, stat, record });
      return;
    }
    try {
      await options.onRecord({ path, stat, record });
    } catch (err) {
      // The caller could not take the record (its store failed): that ends the scan, it is not an unreadable file.
      failure.fatal ??= { err };
      return;
    }
    files.push({ path, stat, streamed: true });
  };
  const refused = (rel: string, reply: Extract<WorkerReply, { error: unknown }>): void => {
    unreadable.push({ path: rel, reason: `${reply.error.code}: ${reply.error.message}`, ...(reply.error.refusal ? { refusal: reply.error.refusal } : {}) });
  };
  const inspect = async (rel: string, abs: Buffer, dev: number, ino: number, size: number): Promise<void> => {
    const path = display(rel);
    let reply = await pool.inspect(path, { confinement: c, abs, dev, ino }, size);
    // Replaced between the walk and the open (an updater's atomic rename): look once more, then judge what is there.
    if ('error' in reply && reply.error.refusal === 'CHANGED') {
      const now = await lstat(abs).catch(() => undefined);
      if (now?.isFile()) reply = await pool.inspect(path, { confinement: c, abs, dev: now.dev, ino: now.ino }, now.size);
    }
    if ('error' in reply) refused(rel, reply);
    else await keep(rel, reply.stat, reply.record);
  };

  for await (const item of walkConfined(c)) {
    if (failure.fatal) break;
    if (item.kind === 'directory') {
      if (inspectBundleAt && BUNDLE_NAME.test(display(item.rel))) bundleDirs.push({ dir: display(item.rel), rel: item.rel });
    } else if (item.kind === 'special') {
      special.push(item.entry);
      if (!item.entry.inspected) skipped.push({ path: item.entry.path, reason: item.entry.reason });
    } else if (item.kind === 'unreadable') {
      unreadable.push({ path: item.rel, reason: item.reason, refusal: 'UNREADABLE' });
    } else {
      const key = statKey(item.stat);
      const prev = previous.get(item.rel);
      if (prev && prev.stat === key) {
        options.onReused?.(item.rel);
        if (!options.onReused || bundleDirs.some((b) => b.rel === '.' || item.rel.startsWith(`${b.rel}/`))) files.push({ path: item.rel, stat: key, reusedRecordId: prev.recordId });
        reused++;
        continue;
      }
      const job = inspect(item.rel, item.abs, item.stat.dev, item.stat.ino, item.stat.size).catch((err: unknown) => {
        unreadable.push({ path: item.rel, reason: errorMessage(err) });
      });
      const tracked = job.finally(() => {
        inFlight.delete(tracked);
        const wake = slotFreed;
        slotFreed = undefined;
        wake?.();
      });
      inFlight.add(tracked);
      // One waiter, woken by whichever job ends (Promise.race over hundreds of jobs per file would cost more).
      while (inFlight.size >= MAX_IN_FLIGHT) await new Promise<void>((resolve) => (slotFreed = resolve));
    }
  }
  await Promise.all(inFlight);
  stopIfFailed();
  // A bundle is re-verified only when something under it changed: its "stat" is a digest of its files' stats.
  for (const b of inspectBundleAt ? bundleDirs : []) {
    const prefix = b.rel === '.' ? '' : `${b.rel}/`;
    const under = files.filter((f) => f.path.startsWith(prefix)).map((f) => `${f.path}\0${f.stat}`).sort();
    const key = `bundle:${createHash('sha256').update(under.join('\n')).digest('hex')}`;
    const prev = previous.get(prefix || './');
    if (prev && prev.stat === key) {
      files.push({ path: prefix || './', stat: key, reusedRecordId: prev.recordId });
      reused++;
      continue;
    }
    try {
      const record = await (inspectBundleAt as BundleInspector)(b.dir);
      if (record) await keep(prefix || './', key, record);
      stopIfFailed();
    } catch (err) {
      unreadable.push({ path: prefix || './', reason: errorMessage(err) });
    }
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files, unreadable, skipped, special, read: files.filter((f) => f.reusedRecordId === undefined).length, reused };
}
