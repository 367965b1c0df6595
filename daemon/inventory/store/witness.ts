// The witness: a small file kept away from the database that remembers each history database sealwatch has used
// (its identity and how far its snapshots got). Deleting, emptying or swapping the database then cannot pass for a
// first run, whose baseline would launder whatever the next update brings.
import { randomUUID } from 'node:crypto';
import { closeSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { SealwatchError, errorMessage } from '../../shared/errors.ts';
import { makeDirs } from '../../shared/make-dirs.ts';

export interface WitnessEntry {
  readonly database_id: string;
  readonly created_at: string;
  readonly last_snapshot_id: number;
}

type WitnessFile = Record<string, WitnessEntry>;

export function readWitness(file: string): WitnessFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new SealwatchError('DATABASE', `witness ${file}: cannot read: ${errorMessage(err)}`, { cause: err, file });
  }
  try {
    return JSON.parse(text) as WitnessFile;
  } catch (err) {
    throw new SealwatchError('DATABASE', `witness ${file}: not valid JSON (${errorMessage(err)}); it records which history databases existed — restore it or remove it knowingly`, { cause: err, file });
  }
}

/**
 * Records `entry` for `database`: under a lock file, so that processes using other databases never drop each
 * other's entries, and written to a temporary file and renamed, so a crash never leaves half a file.
 */
export function writeWitness(file: string, database: string, entry: WitnessEntry): void {
  makeDirs(dirname(file), 0o700);
  withLockFile(`${file}.lock`, () => {
    const all = readWitness(file);
    all[database] = entry;
    const tmp = `${file}.${randomUUID()}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(all, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, file);
  });
}

/** A lock held by a process that died is taken over after a few seconds: the work under it takes milliseconds. */
const STALE_LOCK_MS = 5_000;

function withLockFile(lock: string, fn: () => void): void {
  for (let attempt = 0; ; attempt++) {
    try {
      closeSync(openSync(lock, 'wx', 0o600));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new SealwatchError('DATABASE', `witness lock ${lock}: ${errorMessage(err)}`, { cause: err, file: lock });
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > STALE_LOCK_MS) rmSync(lock, { force: true });
      else if (attempt > 400) throw new SealwatchError('DATABASE', `witness lock ${lock} is held by another process`, { file: lock });
      else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
  }
  try {
    fn();
  } finally {
    rmSync(lock, { force: true });
  }
}
