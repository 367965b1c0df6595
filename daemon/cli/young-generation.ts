// Walking and hashing 100,000 files makes short-lived garbage by the megabyte; with V8's default young generation (64 MiB
// here) it piles up to tens of MB of RSS before a collection. A scan of a large tree re-executes once with a small
// semi-space (V8 reads the size only at start-up; process.execve replaces this process, same pid, no second process).
// Measured on a 100,000-file app: baseline peak RSS 375 -> 208 MiB, rescan with one change 165 -> 137 MiB.
// A small tree does not need it and would pay for it: a second Node start and more frequent collections (on the
// 2,561-file vendor tree of the speed bench, ~0.4 s more CPU time in a baseline).
import { existsSync } from 'node:fs';
import { isSea } from 'node:sea';
import { hasAtLeastEntries } from './tree-size.ts';

const FLAG = '--max-semi-space-size=2';
// `run` from the compiled package also gets V8's lite mode (no optimizing compilers, lazy feedback vectors): the
// daemon's own process only handles file events, schedules, alert delivery and /metrics, and idles ~18 MiB smaller
// (watching 50,000 files: 95 → 77 MiB RSS). Scans run in child processes without it (run/scan-runner.ts). Not from
// the TypeScript sources: lite mode has no WebAssembly, which Node's type stripping needs.
export const LITE_MODE = '--lite-mode';

// `scan` also gets V8's --optimize-for-size (a heap that grows more slowly, collected sooner; the workers are threads
// of this process and share it). Measured on the 100,000-file app: baseline peak RSS 292 -> 208 MiB.
const OPTIMIZE_FOR_SIZE = '--optimize-for-size';

/** Apps with at least this many entries (files and directories) are scanned with the small young generation. */
export const LARGE_TREE_ENTRIES = 10_000;

/** Whether this process may re-execute itself with V8 flags (never twice; not a single executable; not Windows). */
function mayReexec(): boolean {
  // A single executable takes no Node flags on its command line (they would reach sealwatch as arguments).
  if (process.platform === 'win32' || typeof process.execve !== 'function' || isSea()) return false;
  return !process.execArgv.some((a) => a.startsWith('--max-semi-space-size')) && process.env.SEALWATCH_NO_REEXEC !== '1';
}

function reexec(flags: readonly string[]): never {
  process.execve?.(process.execPath, [process.execPath, ...flags, ...process.execArgv, ...process.argv.slice(1)], process.env);
  throw new Error('execve returned');
}

/** The daemon (`run`): before anything else loads. */
export function reexecWithSmallYoungGeneration(argv: readonly string[]): void {
  if (argv[0] !== 'run' || !mayReexec()) return;
  reexec([FLAG, ...(import.meta.url.endsWith('.js') ? [LITE_MODE] : [])]);
}

/**
 * `scan` of a large app: the history knows how many entries the app had (one indexed count, stopped at the limit);
 * an app it does not know yet is counted from directory listings, stopping at the limit. Called before the scan
 * writes or prints anything, so the re-executed process starts the same command afresh.
 */
export function reexecScanIfLarge(root: string, database: string, app: string): void {
  // Only a process started as `… scan …` is started again as itself (an in-process caller of runCli is not).
  if (!mayReexec() || process.argv[2] !== 'scan') return;
  const known = storedEntriesAtLeast(database, app, LARGE_TREE_ENTRIES);
  const large = known ?? hasAtLeastEntries(root, LARGE_TREE_ENTRIES);
  if (large || process.env.SEALWATCH_SMALL_HEAP === '1') reexec([FLAG, OPTIMIZE_FOR_SIZE]);
}

/** Whether the history holds at least `limit` current entries of `app`; undefined when it has none (or cannot say). */
function storedEntriesAtLeast(database: string, app: string, limit: number): boolean | undefined {
  if (!existsSync(database)) return undefined;
  try {
    const { DatabaseSync } = process.getBuiltinModule('node:sqlite');
    const db = new DatabaseSync(database, { readOnly: true });
    try {
      const sql = 'SELECT count(*) AS n FROM (SELECT 1 FROM entries WHERE app_id = (SELECT id FROM apps WHERE name = ?) AND end_snapshot IS NULL LIMIT ?)';
      const n = Number((db.prepare(sql).get(app, limit) as { n: number } | undefined)?.n ?? 0);
      return n === 0 ? undefined : n >= limit;
    } finally {
      db.close();
    }
  } catch {
    return undefined;
  }
}
