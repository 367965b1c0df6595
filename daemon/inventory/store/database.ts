// Opening the history database file: integrity checked before anything reads it, WAL and foreign keys on, numbered
// forward-only migrations applied.
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { SealwatchError, errorMessage } from '../../shared/errors.ts';
import { makeDirs } from '../../shared/make-dirs.ts';
import { MIGRATIONS } from './migrations.ts';

/** Opens `file` (creating its directory); an existing file is integrity-checked before anything else reads it. */
export function openDatabase(file: string, options: { existed: boolean; busyTimeoutMs: number }): DatabaseSync {
  if (file !== ':memory:') {
    try {
      makeDirs(dirname(file));
    } catch (err) {
      throw new SealwatchError('DATABASE', `${file}: the history database cannot be created: ${errorMessage(err)}`, { file, cause: err });
    }
  }
  const db = new DatabaseSync(file);
  try {
    db.exec(`PRAGMA busy_timeout = ${Math.trunc(options.busyTimeoutMs)};`);
    if (options.existed) quickCheck(db, file);
    untilNotBusy(() => db.exec('PRAGMA journal_mode = WAL;'), options.busyTimeoutMs);
    db.exec('PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;');
    migrate(db, file);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * Switching a new file to WAL needs it to itself for a moment, and SQLite's busy timeout does not cover that: a
 * second process creating the same database at the same time (two scans started together) got "database is locked".
 */
function untilNotBusy(step: () => void, timeoutMs: number): void {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      return step();
    } catch (err) {
      if ((err as { errcode?: number }).errcode !== SQLITE_BUSY || Date.now() >= until) throw err;
      Atomics.wait(PAUSE, 0, 0, 10);
    }
  }
}
const SQLITE_BUSY = 5;
const PAUSE = new Int32Array(new SharedArrayBuffer(4));

/**
 * A read-only connection to a history another connection keeps up to date (the daemon's page worker): no integrity
 * check (a full read of the file, and a long read lock that holds up the owner's WAL checkpoint), no migration, nothing
 * written — refused unless its schema is exactly the one this code knows.
 */
export function openDatabaseReadOnly(file: string, busyTimeoutMs: number): DatabaseSync {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    db.exec(`PRAGMA busy_timeout = ${Math.trunc(busyTimeoutMs)};`);
    const newest = (db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null }).v ?? 0;
    const known = Math.max(...MIGRATIONS.map((m) => m.version));
    if (newest !== known) throw new SealwatchError('DATABASE', `database ${file}: schema version ${newest}, this sealwatch reads ${known}`, { file });
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

function quickCheck(db: DatabaseSync, file: string): void {
  const rows = (db.prepare('PRAGMA quick_check(20)').all() as Array<Record<string, string>>).map((r) => Object.values(r)[0] ?? '');
  if (rows.length === 1 && rows[0] === 'ok') return;
  throw new SealwatchError('DATABASE', `database ${file} is corrupt (SQLITE_CORRUPT: ${rows.slice(0, 5).join('; ')}): restore it from a backup, or move it aside and start a new history with --reinit`, { file });
}

function migrate(db: DatabaseSync, file: string): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
  const done = new Set((db.prepare('SELECT version FROM schema_migrations').all() as Array<{ version: number }>).map((r) => r.version));
  const newest = Math.max(0, ...done);
  const known = Math.max(...MIGRATIONS.map((m) => m.version));
  if (newest > known) throw new SealwatchError('CONFIG', `database ${file}: schema version ${newest} is newer than this sealwatch (${known})`, { file });
  for (const m of MIGRATIONS) {
    if (done.has(m.version)) continue;
    db.exec('BEGIN IMMEDIATE');
    try {
      // Another process opening the same new file may have applied it since `done` was read (two scans started
      // together): under the write lock, check again.
      if (db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(m.version)) {
        db.exec('COMMIT');
        continue;
      }
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(m.version, new Date().toISOString());
      db.exec('COMMIT');
    } catch (err) {
      if (db.isTransaction) db.exec('ROLLBACK');
      throw new SealwatchError('DATABASE', `database ${file}: migration ${m.version} failed: ${errorMessage(err)}`, { cause: err, file });
    }
  }
}
