// The only module that writes SQL. node:sqlite (no native addon), WAL, synchronous=NORMAL, numbered migrations,
// prepared statements held privately. Module records are stored once per distinct content.
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { SealwatchError, errorMessage } from '../../shared/errors.ts';
import { type ModuleRecord } from '../../shared/model.ts';
import { MIGRATIONS } from './migrations.ts';
import { signerIdentity } from '../../shared/signer.ts';

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

export interface FileRow {
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
  readonly stat: string;
  readonly format: string;
  readonly status: string;
  /** Who signed it: organisation (PE) or Team ID (Apple), '' when unsigned. */
  readonly signer: string;
  readonly record_id: number;
}

export type Severity = 'info' | 'low' | 'medium' | 'high' | 'critical';

export interface FindingInput {
  readonly rule: string;
  readonly severity: Severity;
  readonly path: string | undefined;
  readonly message: string;
  readonly evidence: Readonly<Record<string, unknown>>;
  readonly explained: boolean;
}

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
  | { readonly path: string; readonly stat: string; readonly reused: Omit<FileRow, 'path' | 'stat'> };

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

/** The record without where it lives: the same bytes at the same path dedupe across snapshots. */
function storable(record: ModuleRecord): string {
  const { path: _path, name: _name, mtime: _mtime, ...file } = record.file;
  return JSON.stringify({ ...record, file });
}

export class Store {
  private readonly db: DatabaseSync;
  private readonly stmt: Record<string, StatementSync>;

  private constructor(db: DatabaseSync) {
    this.db = db;
    const p = (sql: string): StatementSync => db.prepare(sql);
    this.stmt = {
      appByName: p('SELECT * FROM apps WHERE name = ?'),
      insertApp: p('INSERT INTO apps (name, vendor, root, created_at) VALUES (?, ?, ?, ?)'),
      updateAppRoot: p('UPDATE apps SET root = ?, vendor = coalesce(?, vendor) WHERE id = ?'),
      apps: p('SELECT * FROM apps ORDER BY name'),
      latestSnapshot: p('SELECT * FROM snapshots WHERE app_id = ? ORDER BY id DESC LIMIT 1'),
      snapshots: p('SELECT * FROM snapshots WHERE app_id = ? ORDER BY id'),
      snapshotById: p('SELECT * FROM snapshots WHERE id = ?'),
      insertSnapshot: p('INSERT INTO snapshots (app_id, version, version_source, taken_at, trigger, root, files, modules) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      filesOf: p('SELECT path, sha256, size, stat, format, status, signer, record_id FROM files WHERE snapshot_id = ? ORDER BY path'),
      recordById: p('SELECT json FROM records WHERE id = ?'),
      recordByDigest: p('SELECT id FROM records WHERE digest = ?'),
      insertRecord: p('INSERT INTO records (digest, json) VALUES (?, ?)'),
      insertFile: p('INSERT INTO files (snapshot_id, path, sha256, size, stat, format, status, signer, record_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'),
      upsertSighting: p(`INSERT INTO sightings (app_id, path, sha256, first_seen, last_seen, first_snapshot, last_snapshot)
        VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (app_id, path, sha256) DO UPDATE SET last_seen = excluded.last_seen, last_snapshot = excluded.last_snapshot`),
      insertFinding: p(`INSERT INTO findings (app_id, snapshot_id, rule, severity, path, message, evidence, explained, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      ioc: p(`SELECT s.sha256, a.name AS app, s.path, s.first_seen, s.last_seen,
          fs.version AS first_version, ls.version AS last_version,
          (s.last_snapshot = (SELECT max(id) FROM snapshots WHERE app_id = s.app_id)) AS still_present
        FROM sightings s JOIN apps a ON a.id = s.app_id
        JOIN snapshots fs ON fs.id = s.first_snapshot JOIN snapshots ls ON ls.id = s.last_snapshot
        WHERE s.sha256 = ? ORDER BY a.name, s.path`),
    };
  }

  static open(file: string): Store {
    try {
      if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
      const db = new DatabaseSync(file);
      db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;');
      migrate(db);
      return new Store(db);
    } catch (err) {
      if (err instanceof SealwatchError) throw err;
      throw new SealwatchError('IO', `database ${file}: ${errorMessage(err)}`, { cause: err, file });
    }
  }

  close(): void {
    this.db.close();
  }

  private transaction<T>(fn: () => T): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const result = fn();
      this.db.exec('COMMIT');
      return result;
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
  }

  app(name: string): AppRow | undefined {
    return this.stmt.appByName?.get(name) as AppRow | undefined;
  }

  upsertApp(name: string, root: string, vendor: string | undefined, now: Date): AppRow {
    const existing = this.app(name);
    if (existing) {
      if (existing.root !== root || (vendor && vendor !== existing.vendor)) this.stmt.updateAppRoot?.run(root, vendor ?? null, existing.id);
      return this.app(name) as AppRow;
    }
    this.stmt.insertApp?.run(name, vendor ?? null, root, now.toISOString());
    return this.app(name) as AppRow;
  }

  apps(): AppRow[] {
    return this.stmt.apps?.all() as unknown as AppRow[];
  }

  latestSnapshot(appId: number): SnapshotRow | undefined {
    return this.stmt.latestSnapshot?.get(appId) as SnapshotRow | undefined;
  }

  snapshots(appId: number): SnapshotRow[] {
    return this.stmt.snapshots?.all(appId) as unknown as SnapshotRow[];
  }

  snapshot(id: number): SnapshotRow | undefined {
    return this.stmt.snapshotById?.get(id) as SnapshotRow | undefined;
  }

  files(snapshotId: number): FileRow[] {
    return this.stmt.filesOf?.all(snapshotId) as unknown as FileRow[];
  }

  /** A stored record, placed back at `path` under `root`. */
  record(recordId: number, root: string, path: string): ModuleRecord {
    const row = this.stmt.recordById?.get(recordId) as { json: string } | undefined;
    if (!row) throw new SealwatchError('IO', `record ${recordId} is missing from the database`);
    const r = JSON.parse(row.json) as ModuleRecord;
    const full = root.endsWith('/') || root.endsWith('\\') ? `${root}${path}` : `${root}/${path}`;
    return { ...r, file: { ...r.file, path: full, name: path.split('/').pop() ?? path } };
  }

  /** Writes a snapshot, its files (records de-duplicated) and sightings in one transaction. */
  recordSnapshot(input: {
    appId: number;
    version: string | undefined;
    versionSource: string | undefined;
    takenAt: Date;
    trigger: string;
    root: string;
    files: readonly SnapshotFile[];
  }): { snapshotId: number; recordIds: Map<string, number> } {
    return this.transaction(() => {
      const formatOf = (f: SnapshotFile): string => ('record' in f ? f.record.module.format : f.reused.format);
      const modules = input.files.filter((f) => !['unknown', 'catalog'].includes(formatOf(f))).length;
      const taken = input.takenAt.toISOString();
      const snap = this.stmt.insertSnapshot?.run(input.appId, input.version ?? null, input.versionSource ?? null, taken, input.trigger, input.root, input.files.length, modules);
      const snapshotId = Number(snap?.lastInsertRowid);
      const recordIds = new Map<string, number>();
      for (const f of input.files) {
        let row: Omit<FileRow, 'path' | 'stat'>;
        if ('reused' in f) row = f.reused;
        else {
          const r = f.record;
          const json = storable(r);
          const digest = createHash('sha256').update(json).digest('hex');
          const found = this.stmt.recordByDigest?.get(digest) as { id: number } | undefined;
          const recordId = found ? found.id : Number(this.stmt.insertRecord?.run(digest, json).lastInsertRowid);
          row = { sha256: r.file.hash.sha256, size: r.file.size, format: r.module.format, status: r.error ? 'error' : r.code_signature.status, signer: signerIdentity(r), record_id: recordId };
        }
        recordIds.set(f.path, row.record_id);
        this.stmt.insertFile?.run(snapshotId, f.path, row.sha256, row.size, f.stat, row.format, row.status, row.signer, row.record_id);
        if (row.sha256) this.stmt.upsertSighting?.run(input.appId, f.path, row.sha256, taken, taken, snapshotId, snapshotId);
      }
      return { snapshotId, recordIds };
    });
  }

  insertFindings(appId: number, snapshotId: number, findings: readonly FindingInput[], now: Date): void {
    this.transaction(() => {
      for (const f of findings) {
        this.stmt.insertFinding?.run(appId, snapshotId, f.rule, f.severity, f.path ?? null, f.message, JSON.stringify(f.evidence), f.explained ? 1 : 0, now.toISOString());
      }
    });
  }

  findings(filter: { app?: string; unexplained?: boolean; snapshotId?: number; minSeverity?: Severity } = {}): FindingRow[] {
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
    const r = this.db.prepare('UPDATE findings SET state = ?, note = coalesce(?, note), reviewed_at = ? WHERE id = ?').run(state, note ?? null, now.toISOString(), id);
    return Number(r.changes) === 1;
  }

  ioc(sha256: string): IocHit[] {
    return this.stmt.ioc?.all(sha256.toLowerCase()) as unknown as IocHit[];
  }

  /** Snapshots taken in [since, until), with the apps they belong to. */
  snapshotsBetween(since: Date, until: Date): Array<SnapshotRow & { app: string }> {
    return this.db
      .prepare('SELECT s.*, a.name AS app FROM snapshots s JOIN apps a ON a.id = s.app_id WHERE s.taken_at >= ? AND s.taken_at < ? ORDER BY s.taken_at')
      .all(since.toISOString(), until.toISOString()) as unknown as Array<SnapshotRow & { app: string }>;
  }

  /** Snapshot before `snapshotId` of the same app. */
  previousSnapshot(appId: number, snapshotId: number): SnapshotRow | undefined {
    return this.db.prepare('SELECT * FROM snapshots WHERE app_id = ? AND id < ? ORDER BY id DESC LIMIT 1').get(appId, snapshotId) as SnapshotRow | undefined;
  }
}

function migrate(db: DatabaseSync): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
  const done = new Set((db.prepare('SELECT version FROM schema_migrations').all() as Array<{ version: number }>).map((r) => r.version));
  const newest = Math.max(0, ...done);
  const known = Math.max(...MIGRATIONS.map((m) => m.version));
  if (newest > known) throw new SealwatchError('CONFIG', `database schema version ${newest} is newer than this sealwatch (${known})`);
  for (const m of MIGRATIONS) {
    if (done.has(m.version)) continue;
    db.exec('BEGIN IMMEDIATE');
    try {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(m.version, new Date().toISOString());
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      throw new SealwatchError('CONFIG', `migration ${m.version} failed: ${errorMessage(err)}`, { cause: err });
    }
  }
}
