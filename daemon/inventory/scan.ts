// Walks an app root and produces one entry per file: records of files unchanged since the previous snapshot (same
// device, inode, size, mtime, ctime) are reused without reading; the rest are read once and inspected in parallel.
import { createHash } from 'node:crypto';
import { lstat } from 'node:fs/promises';
import { relative, sep } from 'node:path';
import { errorMessage } from '../shared/errors.ts';
import { type ModuleRecord } from '../shared/model.ts';
import { type InspectPool } from './pool.ts';
import { BUNDLE_NAME } from './bundle.ts';
import { walkEntries } from './read.ts';
import { statKey } from './scan-protocol.ts';

export interface PreviousFile {
  readonly stat: string;
  readonly recordId: number;
  readonly sha256: string;
}

export interface ScannedFile {
  /** Relative to the root, '/'-separated on every platform. */
  readonly path: string;
  readonly stat: string;
  /** Freshly inspected record; absent when `reusedRecordId` is set. */
  readonly record?: ModuleRecord;
  readonly reusedRecordId?: number;
}

export interface ScanOutcome {
  readonly files: readonly ScannedFile[];
  /** Files that could not be read (permission, vanished, kept changing): named with the reason, never dropped silently. */
  readonly unreadable: ReadonlyArray<{ readonly path: string; readonly reason: string }>;
  readonly skipped: ReadonlyArray<{ readonly path: string; readonly reason: string }>;
  readonly read: number;
  readonly reused: number;
}

/** Verifies a bundle directory (inventory/bundle.ts), when the scan finds one whose files changed. */
const STAT_BATCH = 256;

export type BundleInspector = (dir: string) => Promise<ModuleRecord | undefined>;

export async function scanTree(root: string, previous: ReadonlyMap<string, PreviousFile>, pool: InspectPool, inspectBundleAt?: BundleInspector): Promise<ScanOutcome> {
  const bundleDirs: Array<{ dir: string; rel: string }> = [];
  const skipped: Array<{ path: string; reason: string }> = [];
  const unreadable: Array<{ path: string; reason: string }> = [];
  const files: ScannedFile[] = [];
  const jobs: Array<Promise<void>> = [];
  let reused = 0;
  const consider = async (path: string, rel: string): Promise<void> => {
    let key: string;
    try {
      key = statKey(await lstat(path));
    } catch (err) {
      unreadable.push({ path: rel, reason: errorMessage(err) });
      return;
    }
    const prev = previous.get(rel);
    if (prev && prev.stat === key) {
      files.push({ path: rel, stat: key, reusedRecordId: prev.recordId });
      reused++;
      return;
    }
    jobs.push(
      pool.inspect(path).then((reply) => {
        if ('error' in reply) unreadable.push({ path: rel, reason: `${reply.error.code}: ${reply.error.message}` });
        else files.push({ path: rel, stat: reply.stat, record: reply.record });
      }),
    );
  };
  // Stats are taken a batch at a time: one await per file costs seconds on a 100,000-file app.
  let batch: Array<Promise<void>> = [];
  for await (const entry of walkEntries(root, (path, reason) => skipped.push({ path, reason }))) {
    const rel = entry.path === root ? '.' : relative(root, entry.path).split(sep).join('/');
    if (entry.kind === 'directory') {
      if (inspectBundleAt && BUNDLE_NAME.test(entry.path)) bundleDirs.push({ dir: entry.path, rel });
      continue;
    }
    batch.push(consider(entry.path, rel === '.' ? (entry.path.split(sep).pop() ?? entry.path) : rel));
    if (batch.length >= STAT_BATCH) {
      await Promise.all(batch);
      batch = [];
    }
  }
  await Promise.all(batch);
  await Promise.all(jobs);
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
      if (record) files.push({ path: prefix || './', stat: key, record });
    } catch (err) {
      unreadable.push({ path: prefix || './', reason: errorMessage(err) });
    }
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files, unreadable, skipped, read: files.length - reused, reused };
}
