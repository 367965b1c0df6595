// The only module that writes SQL. node:sqlite (no native addon), WAL, synchronous=NORMAL, numbered migrations,
// prepared statements held privately. Module records are stored once per distinct content; a path's content lives in
// one `entries` row from the snapshot where it appeared until the one where it changed, so an unchanged snapshot
// costs one row. A scan commits its snapshot, entries and findings in one transaction.
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, realpathSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { type DatabaseSync } from 'node:sqlite';
import { SealwatchError } from '../../shared/errors.ts';
import { type Finding, type Severity } from '../../shared/findings.ts';
import { type ModuleRecord } from '../../shared/model.ts';
import { signerIdentity } from '../../shared/signer.ts';
import { tooLargeToVerify } from '../../shared/verified.ts';
import { openDatabase, openDatabaseReadOnly } from './database.ts';
import { ExportOutbox } from './export-outbox.ts';
import { countByState, type OutboxState, tookOne } from './outbox-rows.ts';
import { prepareStatements } from './statements.ts';
import { databaseError } from './sql-errors.ts';
import { readWitness, writeWitness } from './witness.ts';

export { type Severity };

export interface AppRow {
  readonly id: number;
  readonly name: string;
  readonly vendor: string | null;
  readonly root: string;
  readonly created_at: string;
}

export interface SnapshotRow {
  readonly id: number;
  readonly app_id: number;
  readonly version: string | null;
  readonly version_source: string | null;
  readonly taken_at: string;
  readonly trigger: string;
  readonly root: string;
  readonly files: number;
  readonly modules: number;
}

/** What the store keeps about a path's content (the record itself is in `records`). */
export interface EntryFacts {
  readonly sha256: string;
  readonly size: number;
  readonly format: string;
  /** Signature status, 'error' (malformed), or what the path holds instead of a readable file ('unreadable',
   * 'symlink', 'link-out-of-root', 'special'). */
  readonly status: string;
  /** Who signed it: organisation (PE) or Team ID (Apple), '' when unsigned. */
  readonly signer: string;
  readonly record_id: number;
}

export interface FileRow extends EntryFacts {
  readonly path: string;
  readonly stat: string;
}

/** A path's current entry, with its row id. */
export interface CurrentRow extends FileRow {
  readonly id: number;
}

/** What a rescan needs of each current path to skip unchanged files: little, as there may be 100,000 of them. */
export interface CurrentStat {
  readonly stat: string;
  readonly recordId: number;
}

/** Statuses of paths whose content was not verified in that snapshot. */
export const UNVERIFIED_STATUSES: readonly string[] = ['unreadable', 'special', 'link-out-of-root'];

export interface FindingRow {
  readonly id: number;
  readonly app: string;
  readonly snapshot_id: number;
  readonly version: string | null;
  readonly rule: string;
  readonly severity: Severity;
  readonly path: string | null;
  readonly message: string;
  readonly evidence: string;
  readonly explained: number;
  readonly state: string;
  readonly created_at: string;
}

/** A file of a new snapshot: freshly inspected, or unchanged since an earlier snapshot (its row is reused as is). */
export type SnapshotFile =
  | { readonly path: string; readonly stat: string; readonly record: ModuleRecord }
  | { readonly path: string; readonly stat: string; readonly reused: EntryFacts };

export interface ScanCommit {
  readonly appId: number;
  /** The snapshot this scan was compared with: the commit is refused if another scan got in between. */
  readonly previousSnapshotId: number | undefined;
  readonly version: string | undefined;
  readonly versionSource: string | undefined;
  readonly takenAt: Date;
  readonly trigger: string;
  readonly root: string;
  /** Paths whose content (or what they hold) was read in this scan; every other current path is unchanged. */
  readonly changed: Iterable<FileRow>;
  /** Current paths that are gone. */
  readonly removed: readonly string[];
  readonly findings: readonly Finding[];
  /** Alerts to queue with this snapshot, given its id: written in the same transaction as the findings. */
  readonly alerts?: (snapshotId: number) => readonly AlertInsert[];
  /** `meta` keys to set with this snapshot (the manifests it accepted: their sequence, for replay checks). */
  readonly meta?: Readonly<Record<string, string>>;
  /** Export sinks (config `export:` names) to queue this snapshot for, in the same transaction (daemon/export). */
  readonly exports?: readonly string[];
}

/** One alert to queue: its body is final (sent byte for byte on every attempt). */
export interface AlertInsert {
  readonly deliveryId: string;
  readonly destination: string;
  readonly type: string;
  /** One line for `alerts list`: app, versions, counts. */
  readonly summary: string;
  readonly body: string;
}

export type AlertState = OutboxState;

/** An outbox row as `alerts list` shows it (no body). */
export interface AlertRow {
  readonly id: number;
  readonly delivery_id: string;
  readonly destination: string;
  readonly type: string;
  readonly app: string;
  readonly snapshot_id: number;
  readonly summary: string;
  readonly state: AlertState;
  readonly attempts: number;
  readonly created_at: string;
  readonly queued_at: string;
  readonly next_attempt_at: string;
  /** While an attempt is under way: until when nobody else may send it. */
  readonly leased_until: string | null;
  readonly last_attempt_at: string | null;
  readonly last_status: number | null;
  readonly last_error: string | null;
  readonly done_at: string | null;
}

/** A row due for delivery, with what is sent. */
export interface DueAlert extends AlertRow {
  readonly body: string;
}

export interface IocHit {
  readonly sha256: string;
  readonly app: string;
  readonly path: string;
  readonly first_seen: string;
  readonly last_seen: string;
  readonly first_version: string | null;
  readonly last_version: string | null;
  readonly still_present: number;
}

export interface IocPeriod {
  readonly first_seen: string;
  readonly last_seen: string;
  readonly first_version: string | null;
  readonly last_version: string | null;
}

export interface OpenOptions {
  /** The witness file that remembers this database (see witness.ts); none: no check (tests, tools). */
  readonly witness?: string;
  /** Start a new history where one existed (deleted, emptied or replaced): recorded as HISTORY_RESET. */
  readonly reinit?: boolean;
  /** Read-only use: never create the file. */
  readonly mustExist?: boolean;
  /** How long to wait for another process's write lock (default 30 s). */
  readonly busyTimeoutMs?: number;
}

/** The record without where it lives: the same bytes at the same path dedupe across snapshots. */
function storable(record: ModuleRecord): string {
  const { path: _path, name: _name, mtime: _mtime, ...file } = record.file;
  return JSON.stringify({ ...record, file });
}

export function rowStatus(r: ModuleRecord): string {
  if (tooLargeToVerify(r)) return 'unreadable';
  if (r.entry) return r.entry.type === 'symlink' ? (r.entry.inside ? 'symlink' : 'link-out-of-root') : r.entry.type === 'unreadable' ? 'unreadable' : 'special';
  return r.error ? 'error' : r.code_signature.status;
}

export interface ScanLockRow {
  readonly app: string;
  readonly owner: string;
  readonly pid: number;
  readonly host: string;
  readonly acquired_at: string;
  readonly heartbeat_at: string;
}

export class Store {
  readonly file: string;
  private readonly db: DatabaseSync;
  private readonly q: ReturnType<typeof prepareStatements>;

  private readonly busyTimeoutMs: number;

  private constructor(db: DatabaseSync, file: string, busyTimeoutMs: number) {
    this.db = db;
    this.file = file;
    this.busyTimeoutMs = busyTimeoutMs;
    this.q = prepareStatements(db);
  }

  /**
   * Opens (or, the first time, creates) a history database: integrity checked, migrated, and held against the
   * witness so that a deleted, emptied or swapped database is refused unless `reinit` says it is meant.
   */
  static open(file: string, options: OpenOptions = {}): Store {
    const memory = file === ':memory:';
    const existed = memory ? false : existsSync(file) && statSync(file).size > 0;
    if (options.mustExist && !existed) throw new SealwatchError('DATABASE', `database ${file} does not exist (no scan has been recorded there)`, { file });
    let db: DatabaseSync | undefined;
    try {
      const busyTimeoutMs = options.busyTimeoutMs ?? 30_000;
      db = openDatabase(file, { existed, busyTimeoutMs });
      const store = new Store(db, file, busyTimeoutMs);
      store.ensureIdentity(existed);
      if (options.witness && !memory) store.checkWitness(options.witness, existed, options.reinit === true);
      return store;
    } catch (err) {
      db?.close();
      throw databaseError(file, 'opening it', err);
    }
  }

  /**
   * A read-only view of a history another connection owns (the daemon's page worker: database.ts
   * openDatabaseReadOnly). `databaseId`: refused unless the file is that history — the path may have been given to
   * another database since the owner opened it.
   */
  static openReadOnly(file: string, expect: { readonly databaseId?: string } = {}): Store {
    let db: DatabaseSync | undefined;
    try {
      db = openDatabaseReadOnly(file, 30_000);
      const store = new Store(db, file, 30_000);
      const id = store.meta('database_id');
      if (expect.databaseId !== undefined && id !== expect.databaseId) throw new SealwatchError('DATABASE', `database ${file} is not the history this was asked for (its id ${id ?? 'none'}, expected ${expect.databaseId})`, { file });
      return store;
    } catch (err) {
      db?.close();
      throw databaseError(file, 'opening it to read', err);
    }
  }

  close(): void {
    this.db.close();
  }

  private exports: ExportOutbox | undefined;

  /** The export outbox (daemon/export): queued in commitScan, drained by the export deliverer. */
  get exportOutbox(): ExportOutbox {
    this.exports ??= new ExportOutbox(this.db, (doing, fn) => this.transaction(doing, fn));
    return this.exports;
  }

  private transaction<T>(doing: string, fn: () => T): T {
    try {
      this.db.exec('BEGIN IMMEDIATE');
    } catch (err) {
      throw databaseError(this.file, doing, err);
    }
    try {
      const result = fn();
      this.db.exec('COMMIT');
      return result;
    } catch (err) {
      // SQLite may already have rolled back (disk full, I/O error): only roll back what is still open.
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      throw databaseError(this.file, doing, err);
    }
  }

  private ensureIdentity(existed: boolean): void {
    if (this.meta('database_id')) return;
    // Checked again inside the write transaction: two first scans started together both found no identity, and the
    // second overwrote the first's, which its witness then called a replaced database.
    this.transaction('recording its identity', () => {
      if (this.meta('database_id')) return;
      this.q.setMeta.run('database_id', randomUUID());
      this.q.setMeta.run('created_at', new Date().toISOString());
      if (existed) this.q.setMeta.run('identity_added', 'true');
    });
  }

  meta(key: string): string | undefined {
    return (this.q.meta.get(key) as { value: string } | undefined)?.value;
  }

  /** Sets one meta key in its own transaction (the last accepted policy bundle's version: daemon/bundle). */
  setMeta(key: string, value: string): void {
    this.transaction(`recording ${key}`, () => this.q.setMeta.run(key, value));
  }

  /** The database id and snapshot high-water mark must agree with what the witness remembers of this path. */
  private checkWitness(witness: string, existed: boolean, reinit: boolean): void {
    const key = realpathSync(this.file);
    const known = readWitness(witness)[key];
    const id = this.meta('database_id') as string;
    const high = (this.q.maxSnapshotId.get() as { id: number }).id;
    if (known && (known.database_id !== id || high < known.last_snapshot_id)) {
      const what = !existed ? 'is gone or empty' : known.database_id !== id ? 'was replaced by another database' : `lost snapshots (it reached snapshot ${known.last_snapshot_id}, now ${high})`;
      if (!reinit) {
        throw new SealwatchError(
          'DATABASE',
          `database ${this.file} ${what}: the history created ${known.created_at} cannot be replaced silently (a new baseline would accept whatever changed meanwhile). ` +
            'Restore it from a backup, or start a new history on purpose with --reinit (recorded as HISTORY_RESET on every app).',
          { file: this.file },
        );
      }
      this.transaction('recording the reset', () => this.q.setMeta.run('history_reset', JSON.stringify({ previous_database_id: known.database_id, previous_created_at: known.created_at, reason: what, at: new Date().toISOString() })));
    }
    this.witness = { file: witness, key };
    this.updateWitness();
  }

  private witness: { file: string; key: string } | undefined;

  private updateWitness(): void {
    if (!this.witness) return;
    const high = (this.q.maxSnapshotId.get() as { id: number }).id;
    writeWitness(this.witness.file, this.witness.key, { database_id: this.meta('database_id') as string, created_at: this.meta('created_at') as string, last_snapshot_id: high });
  }

  /**
   * Routine upkeep (the daemon's maintenance schedule): fresh planner statistics, and the write-ahead log folded back
   * into the database file and truncated, so a long-running daemon's WAL does not grow without bound.
   */
  maintain(): { readonly walFrames: number; readonly checkpointed: number; readonly busy: boolean } {
    try {
      this.db.exec('PRAGMA optimize');
      // Not waiting for readers (a page being rendered holds one): a busy checkpoint is tried again next time, while
      // waiting would stall the daemon's thread for the whole busy timeout.
      this.db.exec('PRAGMA busy_timeout = 0');
      try {
        const r = this.db.prepare('PRAGMA wal_checkpoint(TRUNCATE)').get() as { busy: number; log: number; checkpointed: number };
        return { walFrames: r.log, checkpointed: r.checkpointed, busy: r.busy === 1 };
      } finally {
        this.db.exec(`PRAGMA busy_timeout = ${Math.trunc(this.busyTimeoutMs)}`);
      }
    } catch (err) {
      throw databaseError(this.file, 'maintaining it', err);
    }
  }

  /** Set when this database was started again with --reinit where another had existed. */
  historyReset(): Record<string, unknown> | undefined {
    const v = this.meta('history_reset');
    return v ? (JSON.parse(v) as Record<string, unknown>) : undefined;
  }

  app(name: string): AppRow | undefined {
    return this.q.appByName.get(name) as AppRow | undefined;
  }

  upsertApp(name: string, root: string, vendor: string | undefined, now: Date): AppRow {
    return this.transaction('recording the app', () => {
      const existing = this.app(name);
      if (!existing) this.q.insertApp.run(name, vendor ?? null, root, now.toISOString());
      else if (existing.root !== root || (vendor && vendor !== existing.vendor)) this.q.updateAppRoot.run(root, vendor ?? null, existing.id);
      return this.app(name) as AppRow;
    });
  }

  apps(): AppRow[] {
    return this.q.apps.all() as unknown as AppRow[];
  }

  latestSnapshot(appId: number): SnapshotRow | undefined {
    return this.q.latestSnapshot.get(appId) as SnapshotRow | undefined;
  }

  snapshots(appId: number): SnapshotRow[] {
    return this.q.snapshots.all(appId) as unknown as SnapshotRow[];
  }

  snapshot(id: number): SnapshotRow | undefined {
    return this.q.snapshotById.get(id) as SnapshotRow | undefined;
  }

  /** The files of a snapshot as they were then. */
  files(snapshotId: number): FileRow[] {
    return this.q.filesOf.all(snapshotId) as unknown as FileRow[];
  }

  /** The app's files as of its latest snapshot. */
  currentFiles(appId: number): CurrentRow[] {
    return this.q.current.all(appId) as unknown as CurrentRow[];
  }

  /** The same rows one at a time: a caller that keeps a little of each never holds 100,000 row objects at once. */
  eachCurrentFile(appId: number): Iterable<CurrentRow> {
    return this.q.current.iterate(appId) as Iterable<CurrentRow>;
  }

  /** The app's current bundles (their seals list the files under them). */
  currentBundles(appId: number): CurrentRow[] {
    return this.q.currentBundles.all(appId) as unknown as CurrentRow[];
  }

  /** Path → stat and record of every current path, compactly (one small object per path). */
  currentStats(appId: number): Map<string, CurrentStat> {
    const out = new Map<string, CurrentStat>();
    for (const r of this.q.currentStats.iterate(appId) as Iterable<{ path: string; stat: string; record_id: number }>) out.set(r.path, { stat: r.stat, recordId: r.record_id });
    return out;
  }

  /**
   * Every current path's stat and record, read in one pass, when the app has at most `limit` of them (else undefined):
   * for a small app one query beats a query per file; a large one is asked path by path (currentStat) instead.
   */
  currentStatsUpTo(appId: number, limit: number): Map<string, CurrentStat> | undefined {
    const out = new Map<string, CurrentStat>();
    for (const r of this.q.currentStats.iterate(appId) as Iterable<{ path: string; stat: string; record_id: number }>) {
      if (out.size >= limit) return undefined;
      out.set(r.path, { stat: r.stat, recordId: r.record_id });
    }
    return out;
  }

  /** One current path's stat and record: a rescan asks path by path instead of holding 100,000 of them. */
  currentStat(appId: number, path: string): CurrentStat | undefined {
    return this.q.currentStat.get(appId, path) as CurrentStat | undefined;
  }

  /** Current paths that are not in `present`: what a scan no longer found. */
  currentPathsMissingFrom(appId: number, present: ReadonlySet<string>): string[] {
    const gone: string[] = [];
    for (const r of this.q.currentPaths.iterate(appId) as Iterable<{ path: string }>) if (!present.has(r.path)) gone.push(r.path);
    return gone;
  }

  currentEntry(appId: number, path: string): CurrentRow | undefined {
    return this.q.currentEntry.get(appId, path) as CurrentRow | undefined;
  }

  /** Signer identities of the app's current files. */
  currentSigners(appId: number): Set<string> {
    return new Set((this.q.currentSigners.all(appId) as Array<{ signer: string }>).map((r) => r.signer));
  }

  /** Current files at the top of the root (where the main executable lives). */
  currentTopLevel(appId: number): CurrentRow[] {
    return this.q.currentTopLevel.all(appId) as unknown as CurrentRow[];
  }

  /** The most recent state of `path` whose content was verified (not unreadable, a device, or a link out of the root). */
  lastVerified(appId: number, path: string): FileRow | undefined {
    return this.q.lastVerified.get(appId, path) as FileRow | undefined;
  }

  /** A stored record, placed back at `path` under `root`. */
  record(recordId: number, root: string, path: string): ModuleRecord {
    const row = this.q.recordById.get(recordId) as { json: string } | undefined;
    if (!row) throw new SealwatchError('DATABASE', `database ${this.file}: record ${recordId} is missing`, { file: this.file });
    const r = JSON.parse(row.json) as ModuleRecord;
    const full = root.endsWith('/') || root.endsWith('\\') ? `${root}${path}` : `${root}/${path}`;
    return { ...r, file: { ...r.file, path: full, name: path.split('/').pop() ?? path } };
  }

  /**
   * Stores records (de-duplicated by content) and returns what the snapshot rows need of each. Records are written
   * as a scan goes, so it never holds them all; one left behind by a scan that never committed is harmless.
   */
  putRecords(records: readonly ModuleRecord[]): EntryFacts[] {
    return this.transaction('storing module records', () =>
      records.map((r) => {
        const json = storable(r);
        const digest = createHash('sha256').update(json).digest('hex');
        const found = this.q.recordByDigest.get(digest) as { id: number } | undefined;
        const recordId = found ? found.id : Number(this.q.insertRecord.run(digest, json).lastInsertRowid);
        return { sha256: r.file.hash.sha256, size: r.file.size, format: r.module.format, status: rowStatus(r), signer: signerIdentity(r), record_id: recordId };
      }),
    );
  }

  /**
   * A scan's fresh rows wait in a connection-private TEMP table until the commit, so a scan of 100,000 files holds
   * none of them in memory; a crash leaves nothing behind (TEMP dies with the connection).
   */
  startStaging(): string {
    this.db.exec(`CREATE TEMP TABLE IF NOT EXISTS staged (scan TEXT NOT NULL, path TEXT NOT NULL, stat TEXT NOT NULL, sha256 TEXT NOT NULL,
      size INTEGER NOT NULL, format TEXT NOT NULL, status TEXT NOT NULL, signer TEXT NOT NULL, record_id INTEGER NOT NULL, PRIMARY KEY (scan, path))`);
    return randomUUID();
  }

  stage(scan: string, rows: readonly FileRow[]): void {
    const insert = this.db.prepare('INSERT OR REPLACE INTO temp.staged VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    this.transaction('staging scanned files', () => {
      for (const r of rows) insert.run(scan, r.path, r.stat, r.sha256, r.size, r.format, r.status, r.signer, r.record_id);
    });
  }

  stagedRow(scan: string, path: string): FileRow | undefined {
    return this.db.prepare('SELECT path, stat, sha256, size, format, status, signer, record_id FROM temp.staged WHERE scan = ? AND path = ?').get(scan, path) as FileRow | undefined;
  }

  stagedRows(scan: string): Iterable<FileRow> {
    return this.db.prepare('SELECT path, stat, sha256, size, format, status, signer, record_id FROM temp.staged WHERE scan = ?').iterate(scan) as Iterable<FileRow>;
  }

  endStaging(scan: string): void {
    this.db.prepare('DELETE FROM temp.staged WHERE scan = ?').run(scan);
  }

  /** One scan, one transaction: the snapshot, every path's entry, and the findings — all or nothing. */
  commitScan(input: ScanCommit): { snapshotId: number } {
    const result = this.transaction('storing the scan', () => {
      const latest = this.latestSnapshot(input.appId)?.id;
      if (latest !== input.previousSnapshotId) {
        throw new SealwatchError('DATABASE', `database ${this.file}: another scan of this app was stored meanwhile (snapshot ${latest}); scan again`, { file: this.file });
      }
      const taken = input.takenAt.toISOString();
      const snap = this.q.insertSnapshot.run(input.appId, input.version ?? null, input.versionSource ?? null, taken, input.trigger, input.root, 0, 0);
      const snapshotId = Number(snap.lastInsertRowid);
      this.writeEntries(input.appId, snapshotId, input.changed, input.removed);
      const counts = this.q.currentCounts.get(input.appId) as { files: number; modules: number };
      this.q.setCounts.run(counts.files, counts.modules, snapshotId);
      for (const f of input.findings) {
        this.q.insertFinding.run(input.appId, snapshotId, f.rule, f.severity, f.path ?? null, f.message, JSON.stringify(f.evidence), f.explained ? 1 : 0, taken);
      }
      for (const [key, value] of Object.entries(input.meta ?? {})) this.q.setMeta.run(key, value);
      for (const a of input.alerts?.(snapshotId) ?? []) {
        this.q.insertAlert.run(a.deliveryId, a.destination, a.type, input.appId, snapshotId, a.summary, a.body, taken, taken, taken);
      }
      if (input.exports?.length) this.exportOutbox.queueInCommit(input.exports, input.appId, snapshotId, input.previousSnapshotId === undefined, taken);
      return { snapshotId };
    });
    this.updateWitness();
    return result;
  }

  /** Ends the entries that changed or vanished and opens new ones; unchanged paths cost nothing. */
  private writeEntries(appId: number, snapshotId: number, changed: Iterable<FileRow>, removed: readonly string[]): void {
    for (const f of changed) {
      const old = this.currentEntry(appId, f.path);
      if (old && old.record_id === f.record_id && old.sha256 === f.sha256 && old.status === f.status && old.signer === f.signer) {
        // Same content: only the stat (the cache key for the next scan) moves, in place.
        if (old.stat !== f.stat) this.q.restatEntry.run(f.stat, old.id);
        continue;
      }
      if (old) this.q.endEntry.run(snapshotId, old.id);
      this.q.insertEntry.run(appId, f.path, f.sha256, f.size, f.stat, f.format, f.status, f.signer, f.record_id, snapshotId);
    }
    for (const path of removed) {
      const old = this.currentEntry(appId, path);
      if (old) this.q.endEntry.run(snapshotId, old.id);
    }
  }

  /** Stores records and a snapshot without findings (tools, tests and benchmarks): `files` is the whole snapshot. */
  recordSnapshot(input: Omit<ScanCommit, 'changed' | 'removed' | 'findings' | 'previousSnapshotId'> & { files: readonly SnapshotFile[] }): { snapshotId: number } {
    const fresh = input.files.filter((f): f is Extract<SnapshotFile, { record: ModuleRecord }> => 'record' in f);
    const facts = this.putRecords(fresh.map((f) => f.record));
    const changed = [
      ...fresh.map((f, i) => ({ path: f.path, stat: f.stat, ...(facts[i] as EntryFacts) })),
      ...input.files.filter((f): f is Extract<SnapshotFile, { reused: EntryFacts }> => 'reused' in f).map((f) => ({ ...f.reused, path: f.path, stat: f.stat })),
    ];
    const present = new Set(input.files.map((f) => f.path));
    const removed = [...this.currentStats(input.appId).keys()].filter((p) => !present.has(p));
    return this.commitScan({ ...input, changed, removed, findings: [], previousSnapshotId: this.latestSnapshot(input.appId)?.id });
  }

  findings(filter: { app?: string; unexplained?: boolean; snapshotId?: number } = {}): FindingRow[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (filter.app) {
      where.push('a.name = ?');
      args.push(filter.app);
    }
    if (filter.snapshotId !== undefined) {
      where.push('f.snapshot_id = ?');
      args.push(filter.snapshotId);
    }
    if (filter.unexplained) where.push("f.explained = 0 AND f.severity <> 'info' AND f.state NOT IN ('accepted', 'dismissed')");
    const sql = `SELECT f.id, a.name AS app, f.snapshot_id, s.version, f.rule, f.severity, f.path, f.message, f.evidence, f.explained, f.state, f.created_at
      FROM findings f JOIN apps a ON a.id = f.app_id JOIN snapshots s ON s.id = f.snapshot_id
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY f.id`;
    return this.db.prepare(sql).all(...args) as unknown as FindingRow[];
  }

  /** Records a reviewer's decision on a finding. */
  reviewFinding(id: number, state: 'open' | 'accepted' | 'dismissed' | 'escalated', note: string | undefined, now: Date): boolean {
    return this.transaction('recording the review', () => Number(this.q.review.run(state, note ?? null, now.toISOString(), id).changes) === 1);
  }

  ioc(sha256: string): IocHit[] {
    return this.q.ioc.all(sha256.toLowerCase()) as unknown as IocHit[];
  }

  /** The stretches of time one sighting (hash, app, path) was present, oldest first: more than one means gaps. */
  iocPeriods(sha256: string, app: string, path: string): IocPeriod[] {
    return this.q.iocPeriods.all(sha256.toLowerCase(), app, path) as unknown as IocPeriod[];
  }

  /** Snapshots taken in [since, until), with the apps they belong to. */
  snapshotsBetween(since: Date, until: Date): Array<SnapshotRow & { app: string }> {
    return this.q.snapshotsBetween.all(since.toISOString(), until.toISOString()) as unknown as Array<SnapshotRow & { app: string }>;
  }

  /** Snapshot before `snapshotId` of the same app. */
  previousSnapshot(appId: number, snapshotId: number): SnapshotRow | undefined {
    return this.q.previousSnapshot.get(appId, snapshotId) as SnapshotRow | undefined;
  }

  /** Queues alerts about sealwatch itself (a refused config): no app, no snapshot; delivered like any other. */
  queueOperationalAlerts(rows: readonly AlertInsert[], now: Date): void {
    const at = now.toISOString();
    this.transaction('queueing an operational alert', () => {
      for (const a of rows) this.q.insertOperationalAlert.run(a.deliveryId, a.destination, a.type, a.summary, a.body, at);
    });
  }

  /** Pending alerts whose next attempt is due at `now`, oldest first. */
  dueAlerts(now: Date, limit: number): DueAlert[] {
    return this.q.dueAlerts.all(now.toISOString(), limit) as unknown as DueAlert[];
  }

  /** Takes a due alert for one attempt (counted now) and leases it until `leaseUntil`; false when it is not due (any more). */
  claimAlert(id: number, now: Date, leaseUntil: Date): boolean {
    return this.transaction('claiming an alert', () => tookOne(this.q.claimAlert.run(now.toISOString(), leaseUntil.toISOString(), id)));
  }

  alertSent(id: number, status: number, now: Date): void {
    this.transaction('marking an alert sent', () => this.q.alertSent.run(status, now.toISOString(), id));
  }

  /** A failed attempt: `error` must already be redacted (it is shown by `alerts list`). */
  alertFailed(id: number, nextAttempt: Date, status: number | undefined, error: string): void {
    this.transaction('recording a failed delivery', () => this.q.alertFailed.run(nextAttempt.toISOString(), status ?? null, error, id));
  }

  alertDead(id: number, status: number | undefined, error: string, now: Date): void {
    this.transaction('dead-lettering an alert', () => this.q.alertDead.run(status ?? null, error, now.toISOString(), id));
  }

  alerts(): AlertRow[] {
    return this.q.alertsAll.all() as unknown as AlertRow[];
  }

  /**
   * In one transaction: the pending alerts held for a removed destination (not under a lease) for which `note` gives
   * a note (their destination is configured again) are due now with that note. Returns the rows released.
   */
  releaseHeldAlerts(now: Date, note: (row: AlertRow) => string | undefined): AlertRow[] {
    const at = now.toISOString();
    return this.transaction('releasing held alerts', () =>
      (this.q.alertsHeld.all(at) as unknown as AlertRow[]).filter((r) => {
        const n = note(r);
        return n !== undefined && tookOne(this.q.releaseAlert.run(at, n, r.id));
      }),
    );
  }

  alertCounts(): Record<AlertState, number> {
    return countByState(this.q.alertCounts);
  }

  /**
   * Queues a dead or pending alert (by row id or delivery id) for an attempt now, with a fresh attempt and age budget.
   * A sent alert is left alone: sending it again would be a second delivery nothing asked for.
   */
  retryAlert(key: string, now: Date): { readonly found: false } | { readonly found: true; readonly id: number; readonly deliveryId: string; readonly state: AlertState; readonly inFlight: boolean; readonly requeued: boolean } {
    return this.transaction('queueing an alert again', () => {
      const row = this.q.alertByKey.get(key, key) as { id: number; delivery_id: string; state: AlertState; leased_until: string | null } | undefined;
      if (!row) return { found: false } as const;
      const inFlight = row.state === 'pending' && row.leased_until !== null && row.leased_until > now.toISOString();
      const requeued = tookOne(this.q.requeueAlert.run(now.toISOString(), row.id));
      return { found: true, id: row.id, deliveryId: row.delivery_id, state: row.state, inFlight, requeued } as const;
    });
  }

  /** Queues every dead alert again; returns how many. */
  retryDeadAlerts(now: Date): number {
    return this.transaction('queueing dead alerts again', () => Number(this.q.requeueDead.run(now.toISOString()).changes));
  }

  /** Takes the scan lock of `app` when it is free or its holder is gone; returns the holder otherwise. */
  tryLock(app: string, owner: string, now: Date, staleAfterMs: number): ScanLockRow | undefined {
    return this.transaction('taking the scan lock', () => {
      const held = this.q.lockOf.get(app) as ScanLockRow | undefined;
      if (held && held.owner !== owner && !lockIsStale(held, now, staleAfterMs)) return held;
      this.q.takeLock.run(app, owner, process.pid, hostname(), now.toISOString(), now.toISOString());
      return undefined;
    });
  }

  heartbeatLock(app: string, owner: string, now: Date): void {
    this.transaction('renewing the scan lock', () => this.q.heartbeat.run(now.toISOString(), app, owner));
  }

  releaseLock(app: string, owner: string): void {
    this.transaction('releasing the scan lock', () => this.q.releaseLock.run(app, owner));
  }
}

/** A lock is stale when its holder's heartbeat stopped, or its holder was a process of this host that is gone. */
function lockIsStale(lock: ScanLockRow, now: Date, staleAfterMs: number): boolean {
  if (now.getTime() - Date.parse(lock.heartbeat_at) > staleAfterMs) return true;
  if (lock.host !== hostname()) return false;
  try {
    process.kill(lock.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
