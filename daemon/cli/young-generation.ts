// Walking and hashing 100,000 files makes short-lived garbage by the megabyte; with V8's default young generation (64 MiB
// here) it piles up to tens of MB of RSS before a collection. A scan of a large tree re-executes once with a small
// semi-space (V8 reads the size only at start-up; process.execve replaces this process, same pid, no second process).
// Measured on a 100,000-file app: baseline peak RSS 375 -> 208 MiB, rescan with one change 165 -> 137 MiB.
// A small tree does not need it and would pay for it: a second Node start (~50 ms) and more frequent collections
// (on the 2,561-file vendor tree of the speed bench, ~0.4 s more CPU time in a baseline).
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

/** Trees with at least this many entries (files and directories) are scanned with the small young generation. */
export const LARGE_TREE_ENTRIES = 10_000;

/**
 * A scan's tree is large when any directory on its command line (the root; a policy directory is small) holds at
 * least LARGE_TREE_ENTRIES entries. Counting stops at the limit: a 100,000-file tree costs a few milliseconds here.
 */
function scansLargeTree(argv: readonly string[]): boolean {
  return argv.slice(1).some((a) => !a.startsWith('-') && hasAtLeastEntries(a, LARGE_TREE_ENTRIES));
}

export function reexecWithSmallYoungGeneration(argv: readonly string[]): void {
  const command = argv[0] ?? '';
  if (command !== 'run' && command !== 'scan') return;
  // A single executable takes no Node flags on its command line (they would reach sealwatch as arguments).
  if (process.platform === 'win32' || typeof process.execve !== 'function' || isSea()) return;
  if (process.execArgv.some((a) => a.startsWith('--max-semi-space-size')) || process.env.SEALWATCH_NO_REEXEC === '1') return;
  if (command === 'scan' && process.env.SEALWATCH_SMALL_HEAP !== '1' && !scansLargeTree(argv)) return;
  const lite = command === 'run' && import.meta.url.endsWith('.js') ? [LITE_MODE] : [];
  const small = command === 'scan' ? [OPTIMIZE_FOR_SIZE] : [];
  process.execve(process.execPath, [process.execPath, FLAG, ...small, ...lite, ...process.execArgv, ...process.argv.slice(1)], process.env);
}
