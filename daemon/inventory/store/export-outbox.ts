// The export outbox (migration 5): one row per (snapshot, sink), queued in the scan's commit and drained by
// daemon/export/deliverer.ts. Rows carry no events: those are read back from the snapshot's immutable history
// (its findings, its alerts, the entries it opened or ended) a bounded batch at a time, from the row's cursor.
import { type DatabaseSync, type StatementSync } from 'node:sqlite';
import { countByState, type OutboxState, tookOne } from './outbox-rows.ts';

export type ExportState = OutboxState;

export interface ExportRow {
  readonly id: number;
  readonly sink: string;
  readonly app: string;
  readonly snapshot_id: number;
  readonly baseline: number;
  readonly state: ExportState;
  readonly cursor: string;
  readonly events_sent: number;
  readonly attempts: number;
  readonly queued_at: string;
  readonly next_attempt_at: string;
  readonly leased_until: string | null;
  readonly last_attempt_at: string | null;
  readonly last_status: number | null;
  readonly last_error: string | null;
  readonly done_at: string | null;
}

/** The snapshot an export row is about, with what every event of it names. */
export interface ExportSnapshot {
  readonly id: number;
  readonly app_id: number;
  readonly app: string;
  readonly vendor: string | null;
  readonly version: string | null;
  readonly version_source: string | null;
  readonly taken_at: string;
  readonly trigger: string;
  readonly root: string;
  readonly files: number;
  readonly modules: number;
  readonly previous_version: string | null;
  readonly previous_id: number | null;
}

export interface ExportFindingRow {
  readonly id: number;
  readonly rule: string;
  readonly severity: string;
  readonly path: string | null;
  readonly message: string;
  readonly evidence: string;
  readonly explained: number;
  readonly created_at: string;
}

export interface ExportAlertRow {
  readonly id: number;
  readonly delivery_id: string;
  readonly destination: string;
  readonly type: string;
  readonly summary: string;
  readonly created_at: string;
}

/** A module entry the snapshot opened (with its record) or ended (`json` null: the path is gone). */
export interface ExportEntryRow {
  readonly id: number;
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
  readonly format: string;
  readonly status: string;
  readonly signer: string;
  readonly json: string | null;
  /** The path held something in the snapshot before (a change rather than a new path). */
  readonly existed: number;
}

/** A row neither sent nor under a batch's lease at ?1. */
const FREE = "state = 'pending' AND (leased_until IS NULL OR leased_until <= ?1)";
/** How the last error of a held row starts (alert/removed.ts heldNote). */
const HELD_PREFIX = 'waiting: ';

export type RetryOutcome =
  | { readonly found: false }
  | { readonly found: true; readonly id: number; readonly sink: string; readonly state: ExportState; readonly inFlight: boolean; readonly requeued: boolean };

function statements(db: DatabaseSync) {
  const p = (sql: string): StatementSync => db.prepare(sql);
  return {
    insert: p('INSERT OR IGNORE INTO export_outbox (sink, app_id, snapshot_id, baseline, queued_at, next_attempt_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)'),
    due: p(`SELECT x.*, a.name AS app FROM export_outbox x JOIN apps a ON a.id = x.app_id
      WHERE x.state = 'pending' AND x.next_attempt_at <= ?1 AND (x.leased_until IS NULL OR x.leased_until <= ?1) ORDER BY x.id LIMIT ?2`),
    claim: p(`UPDATE export_outbox SET last_attempt_at = ?1, leased_until = ?2
      WHERE id = ?3 AND state = 'pending' AND next_attempt_at <= ?1 AND (leased_until IS NULL OR leased_until <= ?1)`),
    progress: p("UPDATE export_outbox SET cursor = ?1, events_sent = events_sent + ?2, attempts = 0, last_status = ?3, last_error = NULL, leased_until = ?4 WHERE id = ?5 AND state = 'pending'"),
    done: p("UPDATE export_outbox SET state = 'sent', leased_until = NULL, done_at = ?1 WHERE id = ?2 AND state = 'pending'"),
    failed: p("UPDATE export_outbox SET attempts = attempts + 1, next_attempt_at = ?1, leased_until = NULL, last_status = ?2, last_error = ?3 WHERE id = ?4 AND state = 'pending'"),
    dead: p("UPDATE export_outbox SET state = 'dead', attempts = attempts + 1, leased_until = NULL, last_status = ?1, last_error = ?2, done_at = ?3 WHERE id = ?4 AND state = 'pending'"),
    all: p('SELECT x.*, a.name AS app FROM export_outbox x JOIN apps a ON a.id = x.app_id ORDER BY x.id'),
    // Held rows (alert/removed.ts) and `export retry`: none counts an attempt, and none touches a row under a batch's lease.
    held: p(`SELECT x.*, a.name AS app FROM export_outbox x JOIN apps a ON a.id = x.app_id
      WHERE x.state = 'pending' AND substr(x.last_error, 1, ${HELD_PREFIX.length}) = '${HELD_PREFIX}'
        AND (x.leased_until IS NULL OR x.leased_until <= ?1) ORDER BY x.id`),
    hold: p(`UPDATE export_outbox SET next_attempt_at = ?2, last_error = ?3 WHERE id = ?4 AND ${FREE}`),
    release: p(`UPDATE export_outbox SET next_attempt_at = ?1, last_error = ?2 WHERE id = ?3 AND ${FREE}`),
    bury: p(`UPDATE export_outbox SET state = 'dead', last_error = ?2, done_at = ?1 WHERE id = ?3 AND ${FREE}`),
    byId: p('SELECT id, state, sink, leased_until FROM export_outbox WHERE id = ?1'),
    // Never a row whose batch is under way: it would be sent twice at once. Its cursor stays: what the sink took is not re-sent.
    requeue: p(`UPDATE export_outbox SET state = 'pending', attempts = 0, queued_at = ?1, next_attempt_at = ?1, done_at = NULL
      WHERE id = ?2 AND state IN ('pending', 'dead') AND (leased_until IS NULL OR leased_until <= ?1)`),
    requeueDead: p("UPDATE export_outbox SET state = 'pending', attempts = 0, queued_at = ?1, next_attempt_at = ?1, done_at = NULL WHERE state = 'dead'"),
    counts: p('SELECT state, count(*) AS n FROM export_outbox GROUP BY state'),
    snapshot: p(`SELECT s.id, s.app_id, a.name AS app, a.vendor, s.version, s.version_source, s.taken_at, s.trigger, s.root, s.files, s.modules,
        p.version AS previous_version, p.id AS previous_id
      FROM snapshots s JOIN apps a ON a.id = s.app_id
      LEFT JOIN snapshots p ON p.id = (SELECT max(id) FROM snapshots WHERE app_id = s.app_id AND id < s.id) WHERE s.id = ?`),
    findings: p('SELECT id, rule, severity, path, message, evidence, explained, created_at FROM findings WHERE snapshot_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3'),
    alerts: p('SELECT id, delivery_id, destination, type, summary, created_at FROM outbox WHERE snapshot_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3'),
    opened: p(`SELECT e.id, e.path, e.sha256, e.size, e.format, e.status, e.signer, r.json,
        EXISTS (SELECT 1 FROM entries o WHERE o.app_id = e.app_id AND o.path = e.path AND o.end_snapshot = e.first_snapshot) AS existed
      FROM entries e JOIN records r ON r.id = e.record_id WHERE e.first_snapshot = ?1 AND e.id > ?2 ORDER BY e.id LIMIT ?3`),
    ended: p(`SELECT e.id, e.path, e.sha256, e.size, e.format, e.status, e.signer, NULL AS json, 1 AS existed
      FROM entries e JOIN snapshots s ON s.id = ?1
      WHERE e.app_id = s.app_id AND e.end_snapshot = s.id AND e.id > ?2
        AND NOT EXISTS (SELECT 1 FROM entries n WHERE n.app_id = e.app_id AND n.path = e.path AND n.first_snapshot = s.id)
      ORDER BY e.id LIMIT ?3`),
  };
}

/** The export outbox's statements; `transaction` is the store's (BEGIN IMMEDIATE … COMMIT, errors named). */
export class ExportOutbox {
  private readonly q: ReturnType<typeof statements>;
  private readonly transaction: <T>(doing: string, fn: () => T) => T;

  constructor(db: DatabaseSync, transaction: <T>(doing: string, fn: () => T) => T) {
    this.q = statements(db);
    this.transaction = transaction;
  }

  /** Inside the scan's commit (no transaction of its own). */
  queueInCommit(sinks: readonly string[], appId: number, snapshotId: number, baseline: boolean, at: string): void {
    for (const s of new Set(sinks)) this.q.insert.run(s, appId, snapshotId, baseline ? 1 : 0, at);
  }

  due(now: Date, limit: number): ExportRow[] {
    return this.q.due.all(now.toISOString(), limit) as unknown as ExportRow[];
  }

  /** Leases a due row for one batch; false when it is not due (any more) or another deliverer has it. */
  claim(id: number, now: Date, leaseUntil: Date): boolean {
    return this.transaction('claiming an export', () => tookOne(this.q.claim.run(now.toISOString(), leaseUntil.toISOString(), id)));
  }

  /** A batch went through: the cursor moves past it (the lease is renewed for the next batch). */
  progress(id: number, cursor: string, events: number, status: number | undefined, leaseUntil: Date): void {
    this.transaction('recording export progress', () => this.q.progress.run(cursor, events, status ?? null, leaseUntil.toISOString(), id));
  }

  sent(id: number, now: Date): void {
    this.transaction('marking an export sent', () => this.q.done.run(now.toISOString(), id));
  }

  /** `error` must already be redacted. */
  failed(id: number, next: Date, status: number | undefined, error: string): void {
    this.transaction('recording a failed export', () => this.q.failed.run(next.toISOString(), status ?? null, error, id));
  }

  dead(id: number, status: number | undefined, error: string, now: Date): void {
    this.transaction('dead-lettering an export', () => this.q.dead.run(status ?? null, error, now.toISOString(), id));
  }

  /** Held for its removed sink until `until` (its maximum age); not counted as an attempt. False when the row was not free. */
  hold(id: number, now: Date, until: Date, note: string): boolean {
    return this.transaction('holding an export', () => tookOne(this.q.hold.run(now.toISOString(), until.toISOString(), note, id)));
  }

  /** A held row past its maximum age: dead with `note` (not counted as an attempt). */
  bury(id: number, now: Date, note: string): boolean {
    return this.transaction('dead-lettering a held export', () => tookOne(this.q.bury.run(now.toISOString(), note, id)));
  }

  /**
   * In one transaction: the pending rows held for a removed sink (not under a lease) for which `note` gives a note
   * (their sink is configured again) are due now with that note. Returns the rows released. Reads only pending rows
   * whose last error starts as a hold's does (the state prefix of export_outbox_due).
   */
  releaseHeld(now: Date, note: (row: ExportRow) => string | undefined): ExportRow[] {
    const at = now.toISOString();
    return this.transaction('releasing held exports', () =>
      (this.q.held.all(at) as unknown as ExportRow[]).filter((r) => {
        const n = note(r);
        return n !== undefined && tookOne(this.q.release.run(at, n, r.id));
      }),
    );
  }

  /** `export retry --id`: queues a pending or dead row for an attempt now with a fresh attempt and age budget; a sent row is left alone. */
  retry(id: number, now: Date): RetryOutcome {
    return this.transaction('queueing an export again', () => {
      const row = this.q.byId.get(id) as { id: number; state: ExportState; sink: string; leased_until: string | null } | undefined;
      if (!row) return { found: false } as const;
      const at = now.toISOString();
      const inFlight = row.state === 'pending' && row.leased_until !== null && row.leased_until > at;
      const requeued = tookOne(this.q.requeue.run(at, id));
      return { found: true, id: row.id, sink: row.sink, state: row.state, inFlight, requeued } as const;
    });
  }

  /** `export retry --dead`: queues every dead row again; returns how many. */
  retryDead(now: Date): number {
    return this.transaction('queueing dead exports again', () => Number(this.q.requeueDead.run(now.toISOString()).changes));
  }

  rows(): ExportRow[] {
    return this.q.all.all() as unknown as ExportRow[];
  }

  counts(): Record<ExportState, number> {
    return countByState(this.q.counts);
  }

  snapshot(id: number): ExportSnapshot | undefined {
    return this.q.snapshot.get(id) as ExportSnapshot | undefined;
  }

  findings(snapshotId: number, after: number, limit: number): ExportFindingRow[] {
    return this.q.findings.all(snapshotId, after, limit) as unknown as ExportFindingRow[];
  }

  alerts(snapshotId: number, after: number, limit: number): ExportAlertRow[] {
    return this.q.alerts.all(snapshotId, after, limit) as unknown as ExportAlertRow[];
  }

  /** Entries the snapshot opened: its new and changed paths (on a baseline, every path). */
  opened(snapshotId: number, after: number, limit: number): ExportEntryRow[] {
    return this.q.opened.all(snapshotId, after, limit) as unknown as ExportEntryRow[];
  }

  /** Entries the snapshot ended without a successor: the paths it found gone. */
  ended(snapshotId: number, after: number, limit: number): ExportEntryRow[] {
    return this.q.ended.all(snapshotId, after, limit) as unknown as ExportEntryRow[];
  }
}
