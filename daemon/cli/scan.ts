// `sealwatch scan DIR --app NAME [--app-version V] [--db FILE] [--json]` and the history queries:
// `history APP`, `diff APP [V1 V2]`, `findings [--app A] [--unexplained]`, `ioc HASH…|--file LIST`, `scope --since --until`.
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { diffModules } from '../diff/diff.ts';
import { summarise, type ModuleSummary } from '../diff/summary.ts';
import { SEVERITY_ORDER } from '../detect/rules.ts';
import { InspectPool } from '../inventory/pool.ts';
import { DEFAULT_MAX_FILE_BYTES } from '../inventory/read.ts';
import { Store } from '../inventory/store/store.ts';
import { scanApp } from '../pipeline/scan-app.ts';
import { errorMessage, SealwatchError } from '../shared/errors.ts';
import { ExitCode } from './exit-codes.ts';
import { type Output, verificationSettings } from './inspect.ts';

/** Where the history lives unless --db says otherwise. */
export function defaultDatabase(): string {
  if (process.env.SEALWATCH_DB) return process.env.SEALWATCH_DB;
  if (process.platform === 'win32') return join(process.env.ProgramData ?? 'C:\\ProgramData', 'sealwatch', 'sealwatch.db');
  if (process.platform === 'darwin') return '/Library/Application Support/sealwatch/sealwatch.db';
  const root = process.getuid?.() === 0 ? '/var/lib/sealwatch' : join(process.env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'sealwatch');
  return join(root, 'sealwatch.db');
}

/**
 * Where sealwatch remembers which history databases existed (see inventory/store/witness.ts): away from the database
 * itself, so that deleting the database's directory does not delete the memory of it.
 */
export function defaultWitness(): string {
  if (process.env.SEALWATCH_WITNESS) return process.env.SEALWATCH_WITNESS;
  if (process.platform === 'win32') return join(process.env.ProgramData ?? 'C:\\ProgramData', 'sealwatch-witness', 'databases.json');
  if (process.platform === 'darwin') return '/Library/Preferences/com.sealwatch.databases.json';
  if (process.getuid?.() === 0) return '/var/lib/misc/sealwatch-databases.json';
  return join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'sealwatch', 'databases.json');
}

/** Read-only commands never create a database; `scan` creates one the first time (never silently again). */
function withStore<T>(db: string | undefined, fn: (store: Store) => Promise<T> | T, mode: { write?: boolean; reinit?: boolean } = {}): Promise<T> {
  const store = Store.open(db ?? defaultDatabase(), { witness: defaultWitness(), mustExist: !mode.write, reinit: mode.reinit === true });
  return Promise.resolve(fn(store)).finally(() => store.close());
}

export interface ScanOptions {
  readonly app: string;
  readonly appVersion?: string;
  readonly vendor?: string;
  readonly db?: string;
  readonly json: boolean;
  readonly trust: readonly string[];
  readonly catalog: readonly string[];
  readonly systemTrust?: boolean;
  readonly workers?: number;
  readonly reinit?: boolean;
}

export async function runScan(dir: string, options: ScanOptions, io: Output): Promise<number> {
  const now = new Date();
  const pool = new InspectPool(
    {
      ...verificationSettings(options),
      now: now.toISOString(),
      maxFileBytes: DEFAULT_MAX_FILE_BYTES,
    },
    options.workers,
  );
  try {
    return await withStore(options.db, async (store) => {
      const report = await scanApp(store, pool, { app: options.app, root: dir, trigger: 'manual', now, ...(options.appVersion ? { appVersion: options.appVersion } : {}), ...(options.vendor ? { vendor: options.vendor } : {}) });
      for (const u of report.unreadable) io.err(`unreadable: ${u.path}: ${u.reason}`);
      const out = {
        app: report.app,
        from_version: report.fromVersion ?? null,
        to_version: report.toVersion ?? null,
        baseline: report.baseline,
        files: report.files,
        read: report.read,
        reused: report.reused,
        findings: report.findings.map((f) => ({ rule: f.rule, severity: f.severity, path: f.path ?? null, message: f.message, evidence: f.evidence })),
      };
      if (options.json) io.out(JSON.stringify(out));
      else {
        io.out(`${report.app}: ${report.baseline ? 'baseline' : `${report.fromVersion ?? '?'} → ${report.toVersion ?? '?'}`} (version from ${report.versionSource}); ${report.files} files, ${report.read} read, ${report.reused} unchanged by stat`);
        for (const f of report.findings) io.out(`  [${f.severity}] ${f.rule}: ${f.message}`);
      }
      const worst = Math.max(0, ...report.findings.map((f) => SEVERITY_ORDER.indexOf(f.severity)));
      return worst >= SEVERITY_ORDER.indexOf('high') ? ExitCode.findings : report.unreadable.length ? ExitCode.unreadable : ExitCode.ok;
    }, { write: true, reinit: options.reinit === true });
  } finally {
    await pool.close();
  }
}

export async function runHistory(app: string, db: string | undefined, json: boolean, io: Output): Promise<number> {
  return withStore(db, (store) => {
    const a = store.app(app);
    if (!a) throw new SealwatchError('CONFIG', `no app named ${app} in the database`);
    const rows = store.snapshots(a.id).map((s) => ({ snapshot: s.id, version: s.version, taken_at: s.taken_at, trigger: s.trigger, files: s.files, modules: s.modules, findings: store.findings({ snapshotId: s.id }).filter((f) => f.severity !== 'info').length }));
    if (json) io.out(JSON.stringify({ app, root: a.root, snapshots: rows }));
    else for (const r of rows) io.out(`${r.snapshot}\t${r.taken_at}\t${r.version ?? '?'}\t${r.files} files\t${r.modules} modules\t${r.findings} findings above info`);
    return ExitCode.ok;
  });
}

export async function runDiff(app: string, v1: string | undefined, v2: string | undefined, db: string | undefined, io: Output): Promise<number> {
  return withStore(db, (store) => {
    const a = store.app(app);
    if (!a) throw new SealwatchError('CONFIG', `no app named ${app} in the database`);
    const snaps = store.snapshots(a.id);
    const pick = (v: string | undefined, fallback: number): (typeof snaps)[number] | undefined =>
      v === undefined ? snaps.at(fallback) : [...snaps].reverse().find((s) => s.version === v || String(s.id) === v);
    const from = pick(v1, -2);
    const to = pick(v2, -1);
    if (!from || !to) throw new SealwatchError('CONFIG', `need two snapshots of ${app} to compare`);
    const load = (snapId: number, root: string): Map<string, ModuleSummary> =>
      new Map(store.files(snapId).map((f) => [f.path, summarise(f.path, store.record(f.record_id, root, f.path))]));
    const changes = diffModules(load(from.id, from.root), load(to.id, to.root));
    io.out(JSON.stringify({ app, from: { snapshot: from.id, version: from.version }, to: { snapshot: to.id, version: to.version }, changes: changes.map((c) => ({ kind: c.kind, path: c.path, module: (c.after ?? c.before)?.isCode ?? false, fields: c.fields, before: c.before?.sha256, after: c.after?.sha256, imports_added: c.importsAdded.slice(0, 50) })) }));
    return ExitCode.ok;
  });
}

export async function runFindings(filter: { app?: string; unexplained: boolean }, db: string | undefined, io: Output): Promise<number> {
  return withStore(db, (store) => {
    for (const f of store.findings({ ...(filter.app ? { app: filter.app } : {}), unexplained: filter.unexplained })) {
      io.out(JSON.stringify({ id: f.id, app: f.app, version: f.version, rule: f.rule, severity: f.severity, path: f.path, message: f.message, state: f.state, created_at: f.created_at, evidence: JSON.parse(f.evidence) as unknown }));
    }
    return ExitCode.ok;
  });
}

export async function runIoc(hashes: readonly string[], file: string | undefined, db: string | undefined, io: Output): Promise<number> {
  const all = [...hashes];
  if (file) all.push(...(await readFile(file, 'utf8')).split(/\s+/).filter((h) => /^[0-9a-fA-F]{64}$/.test(h)));
  if (all.length === 0) throw new SealwatchError('CONFIG', 'ioc: give SHA-256 hashes or --file LIST');
  return withStore(db, (store) => {
    let hits = 0;
    for (const h of all) {
      for (const hit of store.ioc(h)) {
        hits++;
        io.out(JSON.stringify({ sha256: hit.sha256, app: hit.app, path: hit.path, first_seen: hit.first_seen, last_seen: hit.last_seen, first_version: hit.first_version, last_version: hit.last_version, still_present: hit.still_present === 1 }));
      }
    }
    return hits > 0 ? ExitCode.findings : ExitCode.ok;
  });
}

export async function runScope(since: string, until: string | undefined, db: string | undefined, io: Output): Promise<number> {
  const from = new Date(since);
  const to = until ? new Date(until) : new Date();
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) throw new SealwatchError('CONFIG', 'scope: --since/--until must be dates');
  return withStore(db, (store) => {
    for (const s of store.snapshotsBetween(from, to)) {
      const prev = store.previousSnapshot(s.app_id, s.id);
      const before = new Map((prev ? store.files(prev.id) : []).map((f) => [f.path, f.sha256]));
      const after = store.files(s.id);
      const changed = after.filter((f) => before.get(f.path) !== f.sha256).map((f) => f.path);
      const present = new Set(after.map((f) => f.path));
      const removed = [...before.keys()].filter((p) => !present.has(p));
      io.out(JSON.stringify({ app: s.app, snapshot: s.id, taken_at: s.taken_at, from_version: prev?.version ?? null, to_version: s.version, changed, removed, findings: store.findings({ snapshotId: s.id }).filter((f) => f.severity !== 'info').map((f) => ({ rule: f.rule, severity: f.severity, path: f.path })) }));
    }
    return ExitCode.ok;
  });
}

export async function runReview(id: number, state: string, note: string | undefined, db: string | undefined, io: Output): Promise<number> {
  if (!['open', 'accepted', 'dismissed', 'escalated'].includes(state)) throw new SealwatchError('CONFIG', `review: unknown state ${state}`);
  return withStore(db, (store) => {
    if (!store.reviewFinding(id, state as 'open', note, new Date())) throw new SealwatchError('CONFIG', `review: no finding ${id}`);
    io.out(`finding ${id}: ${state}`);
    return ExitCode.ok;
  });
}

export function reportError(err: unknown, io: Output): number {
  io.err(errorMessage(err));
  if (!(err instanceof SealwatchError)) return ExitCode.unreadable;
  return err.code === 'CONFIG' ? ExitCode.usage : err.code === 'DATABASE' ? ExitCode.database : ExitCode.unreadable;
}
