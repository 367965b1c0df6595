// `sealwatch scan DIR --app NAME [--app-version V] [--db FILE] [--json]` and the history queries:
// `history APP`, `diff APP [V1 V2]`, `findings [--app A] [--unexplained]`, `ioc HASH…|--file LIST`, `scope --since --until`.
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { diffModules } from '../diff/diff.ts';
import { summarise, type ModuleSummary } from '../diff/summary.ts';
import { type AppRow, type FindingRow, Store } from '../inventory/store/store.ts';
import { SealwatchError } from '../shared/errors.ts';
import { type Finding, SEVERITY_ORDER } from '../shared/findings.ts';
import { ExitCode } from './exit-codes.ts';
import type { Output } from './inspect.ts';
import { bySeverity, errorText, escapeTerminal, parseIsoDate, safe, severityLabel, severitySummary, table, type Cell } from './terminal.ts';

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

/** The history, read-only (never created), for commands outside this file (`report`). */
export function openHistory<T>(db: string | undefined, fn: (store: Store) => Promise<T> | T): Promise<T> {
  return withStore(db, fn);
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
  /** Also record SHA-1 and MD5 of every file read, so `ioc` can search them (costs hashing time: docs/benchmarks.md). */
  readonly iocDigests?: boolean;
  /** Policy files or directories (`--policy`), besides the shipped policies/. */
  readonly policy?: readonly string[];
  /** Signed release manifests (files or https URLs), the pinned keys they must be signed with, vendor feeds (KIND=LOCATION). */
  readonly manifest?: readonly string[];
  readonly manifestKey?: readonly string[];
  readonly vendorFeed?: readonly string[];
  /** `--feed-host`: hosts a feed the app names itself may point at, besides manifest.feed_hosts of the config. */
  readonly feedHost?: readonly string[];
}

export async function runScan(dir: string, options: ScanOptions, io: Output): Promise<number> {
  // Arguments first: a scan that cannot run creates no database.
  if (options.app.trim() === '') throw new SealwatchError('CONFIG', 'scan: --app needs a name (the app this directory is)');
  const root = await stat(dir).catch((err: NodeJS.ErrnoException) => {
    throw new SealwatchError('IO', `${dir}: cannot be scanned: ${err.code === 'ENOENT' ? 'no such file or directory' : err.message}`, { file: dir, cause: err });
  });
  if (!root.isDirectory()) throw new SealwatchError('CONFIG', `${dir}: is not a directory: scan takes an app's install directory (inspect takes single files)`);
  // A large app is scanned by this process started again with a small young generation (memory): decided first.
  (await import('./young-generation.ts')).reexecScanIfLarge(dir, options.db ?? defaultDatabase(), options.app);
  // The pool first: a first snapshot (a new database) starts its workers now, so that their start-up (verifiers, trust
  // store) overlaps the loading of the scanner, the policies and the database below.
  const [{ checkVerificationDirs, verificationSettings }, { InspectPool }, { DEFAULT_MAX_FILE_BYTES }] = await Promise.all([
    import('./verification-options.ts'),
    import('../inventory/pool.ts'),
    import('../inventory/read.ts'),
  ]);
  checkVerificationDirs(options);
  const now = new Date();
  const pool = new InspectPool({ ...verificationSettings(options), now: now.toISOString(), maxFileBytes: DEFAULT_MAX_FILE_BYTES }, options.workers);
  if (!existsSync(options.db ?? defaultDatabase())) pool.warm();
  try {
    return await scanWithPool(dir, options, io, pool, now);
  } finally {
    await pool.close();
  }
}

async function scanWithPool(dir: string, options: ScanOptions, io: Output, pool: import('../inventory/pool.ts').InspectPool, now: Date): Promise<number> {
  // The scanner and verification load here, not with the history queries of this file (start-up).
  const [{ scanApp }, { Progress }, { scanPolicies }] = await Promise.all([import('../pipeline/scan-app.ts'), import('./progress.ts'), import('../policy/fast-load.ts')]);
  const policies = await scanPolicies(options.policy ?? [], (line) => io.err(escapeTerminal(line)));
  const manifests = await (await import('./manifest.ts')).scanManifestStage(options);
  // The bar counts what the scan hands to the pool (files read; files unchanged by stat are not).
  const progress = new Progress('scan', io.progress);
  if (io.progress) {
    const inspect = pool.inspect.bind(pool);
    pool.inspect = (path, target, size) => {
      progress.add(1);
      if (target) void stat(Buffer.from(target.abs)).then((s) => progress.add(0, s.size), () => undefined);
      return inspect(path, target, size).then((reply) => {
        progress.done(1, 'record' in reply ? reply.record.file.size : 0);
        return reply;
      });
    };
  }
  try {
    return await withStore(options.db, async (store) => {
      const report = await scanApp(store, pool, { app: options.app, root: dir, trigger: 'manual', now, policies, ...(manifests ? { manifests } : {}), ...(options.appVersion ? { appVersion: options.appVersion } : {}), ...(options.vendor ? { vendor: options.vendor } : {}) });
      progress.finish();
      for (const u of report.unreadable) io.err(escapeTerminal(`unreadable: ${u.path}: ${u.reason}`));
      for (const r of report.versionRefused) io.err(escapeTerminal(`version source refused: ${r}`));
      for (const m of report.manifests ?? []) if (m.state !== 'used' || m.stale) io.err(escapeTerminal(`manifest ${m.state === 'used' ? 'used (last good copy)' : m.state === 'other-version' ? 'not used' : 'rejected'}: ${m.name}: ${m.detail ?? m.stale ?? ''}`));
      const ordered = bySeverity(report.findings);
      const summary = scanSummary(ordered);
      const out = {
        app: report.app,
        from_version: report.fromVersion ?? null,
        to_version: report.toVersion ?? null,
        baseline: report.baseline,
        files: report.files,
        read: report.read,
        reused: report.reused,
        findings: ordered.map((f) => ({ rule: f.rule, severity: f.severity, path: f.path ?? null, message: f.message, evidence: f.evidence, ...(f.explained_by ? { explained_by: f.explained_by } : {}), ...(f.policy ? { policy: f.policy } : {}) })),
        summary,
        version_source: report.versionSource,
        version_signed: report.versionSigned,
        ...(report.manifests ? { manifests: report.manifests } : {}),
      };
      if (options.json) io.out(JSON.stringify(out));
      else {
        io.out(`${safe(report.app)}: ${report.baseline ? 'baseline' : `${safe(report.fromVersion ?? '?')} → ${safe(report.toVersion ?? '?')}`} (version from ${safe(report.versionSource)}); ${report.files} files, ${report.read} read, ${report.reused} unchanged by stat`);
        io.out(escapeTerminal(summary));
        for (const f of ordered) io.out(`  ${severityLabel(f.severity, io.colour === true, `[${f.severity}]`)} ${f.rule}: ${escapeTerminal(f.message)}${f.policy ? escapeTerminal(` (policy ${f.policy.action}: ${f.policy.rule ?? ''} in ${f.policy.file})`) : ''}`);
      }
      const worst = Math.max(0, ...report.findings.map((f) => SEVERITY_ORDER.indexOf(f.severity)));
      return worst >= SEVERITY_ORDER.indexOf('high') ? ExitCode.findings : report.unreadable.length ? ExitCode.unreadable : ExitCode.ok;
    }, { write: true, reinit: options.reinit === true });
  } finally {
    progress.finish();
  }
}

/**
 * The one line before the findings: how many of each severity, and the most severe one, so that one real swap among
 * 200 legitimate changes is read first (`findings` most severe first, the order raised within a severity).
 */
export function scanSummary(ordered: readonly Finding[]): string {
  const top = ordered[0];
  const counts = severitySummary(ordered);
  if (!top || top.severity === 'info') return counts;
  return `${counts} — most severe: ${top.severity} ${top.rule}${top.path ? ` ${top.path}` : ''}`;
}

/** The app by name, or a usage error that says so (exit 2): an unknown app is never an empty answer. */
function knownApp(store: Store, app: string): AppRow {
  const a = store.app(app);
  if (!a) {
    const names = store.apps().map((x) => x.name);
    throw new SealwatchError('CONFIG', `no app named ${app} in the database${names.length ? ` (apps: ${names.join(', ')})` : ' (it has no apps yet)'}`);
  }
  return a;
}

export async function runHistory(app: string, db: string | undefined, json: boolean, io: Output): Promise<number> {
  return withStore(db, (store) => {
    const a = knownApp(store, app);
    const rows = store.snapshots(a.id).map((s) => ({ snapshot: s.id, version: s.version, taken_at: s.taken_at, trigger: s.trigger, files: s.files, modules: s.modules, findings: store.findings({ snapshotId: s.id }).filter((f) => f.severity !== 'info').length }));
    if (json) io.out(JSON.stringify({ app, root: a.root, snapshots: rows }));
    else {
      io.out(`${safe(app)} (${safe(a.root)}): ${rows.length} snapshot${rows.length === 1 ? '' : 's'}`);
      for (const l of table(['SNAPSHOT', 'TAKEN AT', 'VERSION', 'TRIGGER', 'FILES', 'MODULES', 'FINDINGS ABOVE INFO'], rows.map((r) => [String(r.snapshot), safe(r.taken_at), safe(r.version ?? '?'), safe(r.trigger), String(r.files), String(r.modules), String(r.findings)]), false)) io.out(l);
    }
    return ExitCode.ok;
  });
}

export async function runDiff(app: string, v1: string | undefined, v2: string | undefined, db: string | undefined, json: boolean, io: Output): Promise<number> {
  return withStore(db, (store) => {
    const a = knownApp(store, app);
    const snaps = store.snapshots(a.id);
    const pick = (v: string | undefined, fallback: number): (typeof snaps)[number] | undefined => {
      if (v === undefined) return snaps.at(fallback);
      const s = [...snaps].reverse().find((x) => x.version === v || String(x.id) === v);
      if (!s) throw new SealwatchError('CONFIG', `no snapshot of ${app} with version or snapshot id ${v} (versions: ${[...new Set(snaps.map((x) => x.version ?? '?'))].join(', ')})`);
      return s;
    };
    let from = pick(v1, -2);
    const to = pick(v2, -1);
    if (!from || !to) throw new SealwatchError('CONFIG', `${app} has ${snaps.length} snapshot${snaps.length === 1 ? '' : 's'}: need two to compare`);
    // V1 alone naming the latest snapshot's version: from that version's first snapshot (what changed since it came).
    if (v1 !== undefined && v2 === undefined && from.id === to.id) {
      from = snaps.find((x) => x.version === v1 || String(x.id) === v1) ?? from;
      if (from.id === to.id) throw new SealwatchError('CONFIG', `${v1} is the latest snapshot of ${app} (${to.id}) and its only one: give an earlier version or snapshot id, or none for the last two`);
    }
    const load = (snapId: number, root: string): Map<string, ModuleSummary> =>
      new Map(store.files(snapId).map((f) => [f.path, summarise(f.path, store.record(f.record_id, root, f.path))]));
    const changes = diffModules(load(from.id, from.root), load(to.id, to.root));
    const between = betweenSnapshots(store, app, snaps, from.id, to.id);
    const out = { app, from: { snapshot: from.id, version: from.version }, to: { snapshot: to.id, version: to.version }, ...(between ? { between } : {}), changes: changes.map((c) => ({ kind: c.kind, path: c.path, module: (c.after ?? c.before)?.isCode ?? false, fields: c.fields, before: c.before?.sha256, after: c.after?.sha256, imports_added: c.importsAdded.slice(0, 50), class: (c.after ?? c.before)?.fileClass ?? null, ...(c.renamedFrom ? { renamed_from: c.renamedFrom } : {}) })) };
    if (json) {
      io.out(JSON.stringify(out));
      return ExitCode.ok;
    }
    const modules = out.changes.filter((c) => c.module).length;
    io.out(`${safe(app)}: ${safe(from.version ?? '?')} (snapshot ${from.id}) → ${safe(to.version ?? '?')} (snapshot ${to.id}): ${out.changes.length} change${out.changes.length === 1 ? '' : 's'} (${modules} to modules)`);
    const short = (h: string | undefined): string => (h ? `${h.slice(0, 12)}…` : '-');
    const rows = out.changes.map((c) => [
      c.kind,
      c.module ? 'module' : 'file',
      safe(c.path),
      short(c.before),
      short(c.after),
      `${c.renamed_from ? `renamed from ${safe(c.renamed_from)}; ` : ''}${c.fields.map((f) => safe(f)).join(', ') || '-'}${c.imports_added.length ? `; imports added: ${c.imports_added.slice(0, 5).map((i) => safe(i)).join(', ')}${c.imports_added.length > 5 ? ', …' : ''}` : ''}`,
    ]);
    if (rows.length) for (const l of table(['CHANGE', 'KIND', 'PATH', 'BEFORE', 'AFTER', 'WHAT CHANGED'], rows, false)) io.out(l);
    if (between) {
      const raised = [...SEVERITY_ORDER].reverse().filter((sev) => between.findings[sev]).map((sev) => `${between.findings[sev]} ${sev}`).join(', ');
      io.out(`note: ${between.snapshots} snapshot${between.snapshots === 1 ? '' : 's'} in between (${between.first}–${between.last}) ${between.snapshots === 1 ? 'is' : 'are'} not compared here${raised ? `; ${between.snapshots === 1 ? 'it' : 'they'} raised ${raised} unexplained — see \`sealwatch findings --app ${safe(app)}\`` : ''}`);
    }
    return ExitCode.ok;
  });
}

/**
 * Snapshots strictly between two compared ones, and the unexplained findings above info they raised: a net diff of
 * 0 changes can hide a compromise that came and went in between.
 */
function betweenSnapshots(store: Store, app: string, snaps: ReadonlyArray<{ id: number }>, fromId: number, toId: number): { snapshots: number; first: number; last: number; findings: Partial<Record<string, number>> } | undefined {
  const [lo, hi] = fromId < toId ? [fromId, toId] : [toId, fromId];
  const inner = snaps.filter((x) => x.id > lo && x.id < hi).map((x) => x.id);
  if (inner.length === 0) return undefined;
  const findings: Partial<Record<string, number>> = {};
  for (const id of inner) for (const f of store.findings({ app, snapshotId: id })) if (!f.explained && f.severity !== 'info') findings[f.severity] = (findings[f.severity] ?? 0) + 1;
  return { snapshots: inner.length, first: inner[0] as number, last: inner.at(-1) as number, findings };
}

function findingJson(f: FindingRow): Record<string, unknown> {
  return { id: f.id, app: f.app, version: f.version, rule: f.rule, severity: f.severity, path: f.path, message: f.message, state: f.state, created_at: f.created_at, evidence: JSON.parse(f.evidence) as unknown };
}

export async function runFindings(filter: { app?: string; unexplained: boolean; json?: boolean }, db: string | undefined, io: Output): Promise<number> {
  return withStore(db, (store) => {
    if (filter.app !== undefined) knownApp(store, filter.app);
    const rows = store.findings({ ...(filter.app ? { app: filter.app } : {}), unexplained: filter.unexplained });
    if (filter.json) {
      for (const f of rows) io.out(JSON.stringify(findingJson(f)));
      return ExitCode.ok;
    }
    // The same summary line as scan's, naming the most severe finding (of any app: the table says which).
    const top = bySeverity(rows)[0];
    io.out(escapeTerminal(top && top.severity !== 'info' ? `${severitySummary(rows)} — most severe: ${top.severity} ${top.rule}${top.path ? ` ${top.path}` : ''}` : severitySummary(rows)));
    if (rows.length === 0) return ExitCode.ok;
    const colour = io.colour === true;
    const lines = table(
      ['ID', 'SEVERITY', 'APP', 'VERSION', 'RULE', 'STATE', 'PATH', 'MESSAGE'],
      bySeverity(rows).map((f): Cell[] => [String(f.id), { text: f.severity, severity: f.severity }, safe(f.app), safe(f.version), f.rule, safe(f.state), safe(f.path), safe(f.message)]),
      colour,
    );
    for (const l of lines) io.out(l);
    return ExitCode.ok;
  });
}

const HASH_KIND: Readonly<Record<number, 'sha256' | 'sha1' | 'md5'>> = { 64: 'sha256', 40: 'sha1', 32: 'md5' };

/** A hash argument: 64 hex digits (SHA-256), 40 (SHA-1) or 32 (MD5); anything else is a usage error. */
function iocHash(value: string, where: string): { kind: 'sha256' | 'sha1' | 'md5'; hash: string } {
  const kind = /^[0-9a-f]+$/i.test(value) ? HASH_KIND[value.length] : undefined;
  if (!kind) throw new SealwatchError('CONFIG', `ioc: ${where}: not a SHA-256 (64 hex digits), SHA-1 (40) or MD5 (32): ${JSON.stringify(value)}`);
  return { kind, hash: value.toLowerCase() };
}

const digestName = (kind: string): string => (kind === 'sha1' ? 'SHA-1' : kind === 'md5' ? 'MD5' : 'SHA-256');

/**
 * Fills `bySecondary` (`sha1:…` / `md5:…` → SHA-256) from every distinct stored record, and returns the kinds asked
 * for that no record has. SHA-1 and MD5 are kept in each record, not indexed, and only by scans run with
 * --ioc-digests: one file (one SHA-256) may have a record without them and a later one with them, so every record
 * is read, not one per file. Says on stderr what cannot be matched and why.
 */
function secondaryDigests(store: Store, asked: ReadonlyArray<{ kind: string }>, bySecondary: Map<string, string>, io: Output): Set<string> {
  const files = new Set<string>();
  const withDigest = { sha1: new Set<string>(), md5: new Set<string>() };
  const read = new Set<number>();
  for (const a of store.apps()) {
    for (const s of store.snapshots(a.id)) {
      for (const f of store.files(s.id)) {
        if (!/^[0-9a-f]{64}$/.test(f.sha256)) continue;
        files.add(f.sha256);
        if (read.has(f.record_id)) continue;
        read.add(f.record_id);
        let hash: { sha1?: string; md5?: string } | undefined;
        try {
          hash = store.record(f.record_id, s.root, f.path).file.hash;
        } catch {
          continue;
        }
        if (hash.sha1) (withDigest.sha1.add(f.sha256), bySecondary.set(`sha1:${hash.sha1.toLowerCase()}`, f.sha256));
        if (hash.md5) (withDigest.md5.add(f.sha256), bySecondary.set(`md5:${hash.md5.toLowerCase()}`, f.sha256));
      }
    }
  }
  const unsearchable = new Set<string>();
  for (const kind of ['sha1', 'md5'] as const) {
    if (!asked.some((h) => h.kind === kind)) continue;
    const name = digestName(kind);
    const missing = files.size - withDigest[kind].size;
    if (files.size > 0 && withDigest[kind].size === 0) {
      unsearchable.add(kind);
      io.err(`ioc: no ${name} digests are recorded in this database (scans record them only with --ioc-digests): the ${name} hashes given are not searched; give SHA-256 hashes`);
    } else if (missing > 0) io.err(`ioc: ${missing} of ${files.size} stored files have no ${name} recorded (scanned without --ioc-digests); they can be matched by SHA-256 only`);
  }
  return unsearchable;
}

export async function runIoc(hashes: readonly string[], file: string | undefined, db: string | undefined, json: boolean, io: Output, html?: string): Promise<number> {
  const all = hashes.map((h) => iocHash(h, 'argument'));
  if (file) {
    // Every word of a line that is a hash counts (`sha256sum` output, several digests of one file, hashes pasted on
    // one line); `#` starts a comment; a line with words but no hash is a usage error naming it.
    const lines = (await readFile(file, 'utf8')).split(/\r?\n/);
    lines.forEach((line, i) => {
      const words = line.replace(/#.*/, '').trim().split(/\s+/).filter(Boolean);
      if (words.length === 0) return;
      const found = words.filter((w) => /^[0-9a-f]+$/i.test(w) && HASH_KIND[w.length] !== undefined);
      if (found.length === 0) iocHash(words[0] ?? '', `${file} line ${i + 1}`);
      for (const w of found) all.push(iocHash(w, `${file} line ${i + 1}`));
    });
  }
  if (all.length === 0) throw new SealwatchError('CONFIG', 'ioc: give hashes (SHA-256; SHA-1 or MD5 where recorded) or --file LIST');
  return withStore(db, async (store) => {
    // SHA-256 is indexed. SHA-1 and MD5 are kept in each stored record, not indexed: they are found by reading every
    // distinct record of the history once, and only where the record has them.
    const bySecondary = new Map<string, string>();
    const unsearchable = all.some((h) => h.kind !== 'sha256') ? secondaryDigests(store, all, bySecondary, io) : new Set<string>();
    const searchable = all.filter((h) => !unsearchable.has(h.kind));
    // Only digests never computed here were given: say so, never answer "no sightings" for them.
    if (searchable.length === 0) throw new SealwatchError('CONFIG', `ioc: no ${[...unsearchable].map(digestName).join(' or ')} digests are recorded in this database (scans record them only with --ioc-digests), so those hashes cannot be searched: give SHA-256 hashes`);
    let hits = 0;
    const rows: Cell[][] = [];
    const reported = new Set<string>();
    const asked: Array<{ hash: string; sha256: string | undefined }> = [];
    const matched = new Set<string>();
    for (const h of searchable) {
      const sha256 = h.kind === 'sha256' ? h.hash : bySecondary.get(`${h.kind}:${h.hash}`);
      asked.push({ hash: h.hash, sha256 });
      const sightings = sha256 ? store.ioc(sha256) : [];
      if (sightings.length) matched.add(h.hash);
      for (const hit of sightings) {
        // The same file asked for twice (the same hash, or its SHA-1 and its SHA-256) is one sighting.
        const key = JSON.stringify([hit.sha256, hit.app, hit.path]);
        if (reported.has(key)) continue;
        reported.add(key);
        hits++;
        // Gone and back (a rollback, a reinstall): first and last seen alone would draw one unbroken stretch.
        const periods = store.iocPeriods(hit.sha256, hit.app, hit.path);
        const line = { sha256: hit.sha256, app: hit.app, path: hit.path, first_seen: hit.first_seen, last_seen: hit.last_seen, first_version: hit.first_version, last_version: hit.last_version, still_present: hit.still_present === 1, ...(periods.length > 1 ? { periods } : {}) };
        if (json) io.out(JSON.stringify(h.kind === 'sha256' ? line : { ...line, [h.kind]: h.hash }));
        rows.push([h.hash, safe(hit.app), safe(hit.path), `${safe(hit.first_seen)} (${safe(hit.first_version ?? '?')})`, `${safe(hit.last_seen)} (${safe(hit.last_version ?? '?')})`, hit.still_present === 1 ? { text: 'yes', severity: 'critical' } : 'no', periods.length > 1 ? `${periods.length}: ${periods.map((p) => `${safe(p.first_seen)}–${safe(p.last_seen)}`).join(', ')}` : '1']);
      }
    }
    if (!json) {
      // A hash counts as found when its file was seen, also when its sightings were listed under another digest of it.
      io.out(`${hits} sighting${hits === 1 ? '' : 's'} of ${matched.size} of ${all.length} hash${all.length === 1 ? '' : 'es'}${searchable.length < all.length ? ` (${all.length - searchable.length} could not be searched)` : ''}`);
      if (rows.length) for (const l of table(['HASH', 'APP', 'PATH', 'FIRST SEEN (VERSION)', 'LAST SEEN (VERSION)', 'STILL PRESENT', 'PERIODS PRESENT'], rows, io.colour === true)) io.out(l);
    }
    // --html: the hunt view of the same hashes (daemon/report/ioc-page.ts), loaded only when asked for.
    if (html !== undefined) {
      const { buildHunt, renderHunt } = await import('../report/ioc-page.ts');
      (await import('./report.ts')).writeHtml(html, renderHunt(buildHunt(store, [...new Map(asked.map((a) => [a.hash, a])).values()]), new Date().toISOString()));
    }
    // A sighting outranks; otherwise hashes that could not be searched are not a clean "never seen" (exit 3).
    return hits > 0 ? ExitCode.findings : searchable.length < all.length ? ExitCode.unreadable : ExitCode.ok;
  });
}

export async function runScope(since: string, until: string | undefined, db: string | undefined, json: boolean, io: Output): Promise<number> {
  const from = parseIsoDate(since, '--since');
  const to = until !== undefined ? parseIsoDate(until, '--until') : new Date();
  if (to.getTime() < from.getTime()) throw new SealwatchError('CONFIG', `scope: --until (${to.toISOString()}) is before --since (${from.toISOString()})`);
  return withStore(db, (store) => {
    const rows: Cell[][] = [];
    const all: Array<{ severity: FindingRow['severity'] }> = [];
    let snapshots = 0;
    for (const s of store.snapshotsBetween(from, to)) {
      snapshots++;
      const prev = store.previousSnapshot(s.app_id, s.id);
      const before = new Map((prev ? store.files(prev.id) : []).map((f) => [f.path, f.sha256]));
      const after = store.files(s.id);
      const changed = after.filter((f) => before.get(f.path) !== f.sha256).map((f) => f.path);
      const present = new Set(after.map((f) => f.path));
      const removed = [...before.keys()].filter((p) => !present.has(p));
      const findings = store.findings({ snapshotId: s.id }).filter((f) => f.severity !== 'info').map((f) => ({ rule: f.rule, severity: f.severity, path: f.path }));
      if (json) {
        io.out(JSON.stringify({ app: s.app, snapshot: s.id, taken_at: s.taken_at, from_version: prev?.version ?? null, to_version: s.version, changed, removed, findings }));
        continue;
      }
      all.push(...findings);
      const versions = `${safe(prev?.version ?? (prev ? '?' : 'baseline'))} → ${safe(s.version ?? '?')}`;
      const worst = (path: string): Cell => {
        const fs = bySeverity(findings.filter((f) => f.path === path));
        const top = fs[0];
        return top ? { text: `${top.severity} ${top.rule}${fs.length > 1 ? ` (+${fs.length - 1})` : ''}`, severity: top.severity } : '-';
      };
      for (const p of changed) rows.push([safe(s.taken_at), safe(s.app), String(s.id), versions, before.has(p) ? 'changed' : 'added', safe(p), worst(p)]);
      for (const p of removed) rows.push([safe(s.taken_at), safe(s.app), String(s.id), versions, 'removed', safe(p), worst(p)]);
    }
    if (!json) {
      io.out(`${snapshots} snapshot${snapshots === 1 ? '' : 's'} from ${from.toISOString()} to ${to.toISOString()}, ${rows.length} path${rows.length === 1 ? '' : 's'} changed; findings above info: ${all.length ? severitySummary(all) : 'none'}`);
      if (rows.length) for (const l of table(['TAKEN AT', 'APP', 'SNAPSHOT', 'VERSIONS', 'CHANGE', 'PATH', 'WORST FINDING'], rows, io.colour === true)) io.out(l);
    }
    return ExitCode.ok;
  });
}

export async function runReview(id: number, state: string, note: string | undefined, db: string | undefined, io: Output): Promise<number> {
  if (!Number.isSafeInteger(id) || id < 1) throw new SealwatchError('CONFIG', 'review: a finding id is a positive whole number (see `findings`)');
  if (!['open', 'accepted', 'dismissed', 'escalated'].includes(state)) throw new SealwatchError('CONFIG', `review: unknown state ${state} (open, accepted, dismissed or escalated)`);
  return withStore(db, (store) => {
    if (!store.reviewFinding(id, state as 'open', note, new Date())) throw new SealwatchError('CONFIG', `review: no finding ${id}`);
    io.out(`finding ${id}: ${state}`);
    return ExitCode.ok;
  });
}

export function reportError(err: unknown, io: Output): number {
  io.err(errorText(err));
  if (!(err instanceof SealwatchError)) return ExitCode.unreadable;
  return err.code === 'CONFIG' ? ExitCode.usage : err.code === 'DATABASE' ? ExitCode.database : ExitCode.unreadable;
}
