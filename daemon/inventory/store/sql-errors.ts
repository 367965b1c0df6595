// SQLite failures named for people: which database file, what went wrong (locked, disk full, corrupt, read-only), and
// what sealwatch was doing. node:sqlite errors carry the SQLite result code in `errcode` (extended codes keep the
// primary code in their low byte).
import { SealwatchError, errorMessage } from '../../shared/errors.ts';

const CAUSES: Readonly<Record<number, string>> = {
  5: 'is locked by another process (SQLITE_BUSY); try again when it is done',
  6: 'is locked (SQLITE_LOCKED)',
  8: 'is read-only (SQLITE_READONLY): check its permissions and the directory',
  10: 'could not be read or written (SQLITE_IOERR): disk or file-system error',
  11: 'is corrupt (SQLITE_CORRUPT): restore it from a backup, or move it aside and start a new history with --reinit',
  13: 'cannot grow: the disk is full (SQLITE_FULL); nothing of this scan was stored',
  14: 'cannot be opened (SQLITE_CANTOPEN): check the path and its permissions',
  26: 'is not a SQLite database (SQLITE_NOTADB)',
};

export function sqliteCode(err: unknown): number | undefined {
  const code = (err as { errcode?: unknown } | undefined)?.errcode;
  return typeof code === 'number' ? code & 0xff : undefined;
}

/** A typed DATABASE error naming the file, the cause and the step; SealwatchErrors pass through unchanged. */
export function databaseError(file: string, doing: string, err: unknown): SealwatchError {
  if (err instanceof SealwatchError) return err;
  const code = sqliteCode(err);
  const cause = (code !== undefined && CAUSES[code]) || `failed: ${errorMessage(err)}`;
  return new SealwatchError('DATABASE', `database ${file} ${cause} (while ${doing})`, { cause: err, file });
}
