// Export outbox row changes that ExportOutbox (store/export-outbox.ts) has no statement for: holding a row whose sink
// a reload removed and releasing it (neither counts an attempt: none is made), dead-lettering it uncounted, and
// queueing a pending or dead row again (`sealwatch export retry`). The store is lead-owned, so these run on a
// connection of their own to the same file, opened per use: the Store has already checked, migrated and witnessed it,
// and SQLite's locking (BEGIN IMMEDIATE, busy timeout) orders them with the daemon's and other processes' writes.
// They belong beside the other export_outbox statements and can move there unchanged.
import { DatabaseSync } from 'node:sqlite';
import { databaseError } from '../inventory/store/sql-errors.ts';
import { SealwatchError } from '../shared/errors.ts';

const BUSY_TIMEOUT_MS = 30_000;
/** A row neither sent nor under an attempt's lease at $now. */
const FREE = "state = 'pending' AND (leased_until IS NULL OR leased_until <= $now)";

const SQL = {
  hold: `UPDATE export_outbox SET next_attempt_at = $until, last_error = $note WHERE id = $id AND ${FREE}`,
  release: `UPDATE export_outbox SET next_attempt_at = $now, last_error = $note WHERE id = $id AND ${FREE}`,
  bury: `UPDATE export_outbox SET state = 'dead', last_error = $note, done_at = $now WHERE id = $id AND ${FREE}`,
  // Never a row whose batch is under way: it would be sent twice at once. Its cursor stays: what the sink took is not re-sent.
  requeue: `UPDATE export_outbox SET state = 'pending', attempts = 0, queued_at = $now, next_attempt_at = $now, done_at = NULL
    WHERE id = $id AND state IN ('pending', 'dead') AND (leased_until IS NULL OR leased_until <= $now)`,
  requeueDead: "UPDATE export_outbox SET state = 'pending', attempts = 0, queued_at = $now, next_attempt_at = $now, done_at = NULL WHERE state = 'dead'",
  byId: 'SELECT id, state, sink, leased_until FROM export_outbox WHERE id = $id',
} as const;

export type RetryOutcome =
  | { readonly found: false }
  | { readonly found: true; readonly id: number; readonly sink: string; readonly state: 'pending' | 'sent' | 'dead'; readonly inFlight: boolean; readonly requeued: boolean };

/** Runs `fn` on a fresh connection to `file` inside one BEGIN IMMEDIATE transaction; errors name the file and the step. */
function edit<T>(file: string, doing: string, fn: (db: DatabaseSync) => T): T {
  if (file === ':memory:') throw new SealwatchError('DATABASE', `export outbox: ${doing} needs a database file, not :memory:`);
  let db: DatabaseSync | undefined;
  try {
    db = new DatabaseSync(file);
    db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS};`);
    db.exec('BEGIN IMMEDIATE');
    const result = fn(db);
    db.exec('COMMIT');
    return result;
  } catch (err) {
    if (db?.isTransaction) db.exec('ROLLBACK');
    throw databaseError(file, doing, err);
  } finally {
    db?.close();
  }
}

/** Ran one statement that changed exactly one row. */
const one = (db: DatabaseSync, sql: string, p: Record<string, string | number>): boolean => Number(db.prepare(sql).run(p).changes) === 1;

/** Held for its removed sink until `until` (its maximum age); not counted as an attempt. False when the row was not free. */
export function holdExport(file: string, id: number, now: Date, until: Date, note: string): boolean {
  return edit(file, 'holding an export', (db) => one(db, SQL.hold, { id, now: now.toISOString(), until: until.toISOString(), note }));
}

/** Its sink is configured again: due now. */
export function releaseExport(file: string, id: number, now: Date, note: string): boolean {
  return edit(file, 'releasing a held export', (db) => one(db, SQL.release, { id, now: now.toISOString(), note }));
}

/** A held row past its maximum age: dead with `note` (not counted as an attempt). */
export function buryExport(file: string, id: number, now: Date, note: string): boolean {
  return edit(file, 'dead-lettering a held export', (db) => one(db, SQL.bury, { id, now: now.toISOString(), note }));
}

/** Queues a pending or dead row for an attempt now with a fresh attempt and age budget; a sent row is left alone. */
export function retryExport(file: string, id: number, now: Date): RetryOutcome {
  return edit(file, 'queueing an export again', (db) => {
    const row = db.prepare(SQL.byId).get({ id }) as { id: number; state: 'pending' | 'sent' | 'dead'; sink: string; leased_until: string | null } | undefined;
    if (!row) return { found: false } as const;
    const at = now.toISOString();
    const inFlight = row.state === 'pending' && row.leased_until !== null && row.leased_until > at;
    const requeued = one(db, SQL.requeue, { id, now: at });
    return { found: true, id: row.id, sink: row.sink, state: row.state, inFlight, requeued } as const;
  });
}

/** Queues every dead row again; returns how many. */
export function retryDeadExports(file: string, now: Date): number {
  return edit(file, 'queueing dead exports again', (db) => Number(db.prepare(SQL.requeueDead).run({ now: now.toISOString() }).changes));
}
