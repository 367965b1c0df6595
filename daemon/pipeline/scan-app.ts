// One cycle for one app: lock → scan → store records → diff against the previous snapshot → detect → commit the
// snapshot and its findings in one transaction. The watcher and the CLI both call this; it owns no state between
// calls.
import { realpath } from 'node:fs/promises';
import { diffModules, type ModuleChange } from '../diff/diff.ts';
import { summarise, type ModuleSummary } from '../diff/summary.ts';
import { detect } from '../detect/rules.ts';
import { ruleSeverity } from '../detect/rule-table.ts';
import { appVersion } from '../inventory/app-version.ts';
import { bundleLayout, inspectBundle } from '../inventory/bundle.ts';
import { type InspectContext } from '../inventory/inspect-file.ts';
import { type InspectPool } from '../inventory/pool.ts';
import { buildInspectContext } from '../inventory/verification-context.ts';
import { scanTree, type PreviousFile, type ScanOutcome } from '../inventory/scan.ts';
import { type EntryFacts, type FileRow, type Store, UNVERIFIED_STATUSES } from '../inventory/store/store.ts';
import { type Finding } from '../shared/findings.ts';
import { type EntryState, type ModuleRecord } from '../shared/model.ts';
import { withScanLock, type LockTiming } from './scan-lock.ts';

const UNVERIFIED_OR_LINK = [...UNVERIFIED_STATUSES, 'symlink'];

export interface ScanRequest {
  readonly app: string;
  readonly root: string;
  readonly vendor?: string;
  readonly appVersion?: string;
  readonly trigger: 'manual' | 'watch' | 'schedule';
  readonly now: Date;
}

export interface ScanReport {
  readonly app: string;
  readonly snapshotId: number;
  readonly fromVersion: string | undefined;
  readonly toVersion: string | undefined;
  readonly versionSource: string;
  readonly baseline: boolean;
  readonly files: number;
  readonly read: number;
  readonly reused: number;
  readonly changes: readonly ModuleChange[];
  readonly findings: readonly Finding[];
  readonly unreadable: ScanOutcome['unreadable'];
}

export async function scanApp(store: Store, pool: InspectPool, req: ScanRequest, lockTiming?: LockTiming): Promise<ScanReport> {
  const root = await realpath(req.root);
  return withScanLock(store, req.app, () => scanLocked(store, pool, req, root), lockTiming);
}

async function scanLocked(store: Store, pool: InspectPool, req: ScanRequest, root: string): Promise<ScanReport> {
  const app = store.upsertApp(req.app, root, req.vendor, req.now);
  const prevSnapshot = store.latestSnapshot(app.id);
  const prevFiles = store.currentFiles(app.id);
  const prevByPath = new Map(prevFiles.map((f) => [f.path, f]));
  const previous = new Map<string, PreviousFile>(prevFiles.map((f) => [f.path, { stat: f.stat, recordId: f.record_id, sha256: f.sha256 }]));

  const outcome = await scanTree(root, previous, pool, bundleInspector(pool));
  const fresh = new Map<string, { stat: string; record: ModuleRecord }>();
  const reusedSpecial = new Set<string>();
  for (const f of outcome.files) if (f.record) fresh.set(f.path, { stat: f.stat, record: f.record });
  // Paths the walk could not verify are part of the snapshot too, recorded as such (never silently missing).
  for (const u of outcome.unreadable) if (!fresh.has(u.path)) fresh.set(u.path, { stat: 'unreadable', record: entryRecord(root, u.path, { type: 'unreadable', reason: u.reason }) });
  for (const e of outcome.special) {
    if (e.inspected || fresh.has(e.path)) continue;
    const entry: EntryState = e.kind === 'symlink' ? { type: 'symlink', ...(e.target !== undefined ? { target: e.target } : {}), inside: e.inside === true, reason: e.reason } : { type: e.kind, reason: e.reason };
    const reused = prevByPath.get(e.path);
    // An unchanged link or device keeps its row, like an unchanged file.
    if (reused && reused.stat === e.stat && UNVERIFIED_OR_LINK.includes(reused.status)) reusedSpecial.add(e.path);
    else fresh.set(e.path, { stat: e.stat, record: entryRecord(root, e.path, entry) });
  }

  const freshPaths = [...fresh.keys()];
  const facts = store.putRecords(freshPaths.map((p) => (fresh.get(p) as { record: ModuleRecord }).record));
  const factsByPath = new Map(freshPaths.map((p, i) => [p, facts[i] as EntryFacts]));
  const files: FileRow[] = [];
  for (const f of outcome.files) if (!f.record) files.push({ ...(prevByPath.get(f.path) as FileRow), path: f.path, stat: f.stat });
  for (const path of reusedSpecial) files.push(prevByPath.get(path) as FileRow);
  for (const [path, { stat }] of fresh) files.push({ path, stat, ...(factsByPath.get(path) as EntryFacts) });

  const version = await appVersion(root, versionSources(store, root, files, fresh), req.appVersion);
  const changes = diffModules(...summariesToCompare(store, app.id, prevSnapshot?.root ?? root, prevFiles, fresh, new Set(files.map((f) => f.path))));
  const knownSigners = new Set(prevFiles.map((f) => f.signer).filter((s) => s.startsWith('org:') || s.startsWith('team:')));
  const baseline = prevSnapshot === undefined;
  const findings = detect({ baseline, fromVersion: prevSnapshot?.version ?? undefined, toVersion: version.version, changes, knownSigners, appWasSigned: knownSigners.size > 0 });
  const reset = baseline ? store.historyReset() : undefined;
  if (reset) findings.unshift({ rule: 'HISTORY_RESET', severity: ruleSeverity('HISTORY_RESET'), path: undefined, message: `the history database was started again (${String(reset.reason)}): changes before this baseline are unknown`, evidence: reset, explained: false });

  const { snapshotId } = store.commitScan({
    appId: app.id,
    previousSnapshotId: prevSnapshot?.id,
    version: version.version,
    versionSource: version.source,
    takenAt: req.now,
    trigger: req.trigger,
    root,
    files,
    findings,
  });
  return {
    app: req.app,
    snapshotId,
    fromVersion: prevSnapshot?.version ?? undefined,
    toVersion: version.version,
    versionSource: version.source,
    baseline,
    files: files.length,
    read: outcome.read,
    reused: outcome.reused,
    changes,
    findings,
    unreadable: outcome.unreadable,
  };
}

/** Bundles are verified in this thread (their seal needs every file under them), with a context built on first use. */
function bundleInspector(pool: InspectPool): (dir: string) => Promise<ModuleRecord | undefined> {
  let context: Promise<InspectContext> | undefined;
  return async (dir) => {
    const layout = await bundleLayout(dir);
    if (!layout) return undefined;
    context ??= buildInspectContext(pool.config, new Date(pool.config.now));
    return (await inspectBundle(layout, await context)).record;
  };
}

/** Records the app version may come from: fresh ones, plus the stored records of unchanged top-level executables. */
function versionSources(store: Store, root: string, files: readonly FileRow[], fresh: ReadonlyMap<string, { record: ModuleRecord }>): Map<string, ModuleRecord> {
  const sources = new Map<string, ModuleRecord>();
  for (const f of files) {
    const r = fresh.get(f.path)?.record;
    if (r) sources.set(f.path, r);
    else if (!f.path.includes('/') && f.format === 'pe') sources.set(f.path, store.record(f.record_id, root, f.path));
  }
  return sources;
}

/**
 * Before and after summaries of what moved. Unchanged paths are unchanged by construction. A path whose previous
 * state was not verified (unreadable, a device, a link out of the root) is compared with the last state that was,
 * so a gap in verification can never launder a change.
 */
function summariesToCompare(
  store: Store,
  appId: number,
  prevRoot: string,
  prevFiles: readonly FileRow[],
  fresh: ReadonlyMap<string, { record: ModuleRecord }>,
  present: ReadonlySet<string>,
): [Map<string, ModuleSummary>, Map<string, ModuleSummary>] {
  const before = new Map<string, ModuleSummary>();
  const after = new Map<string, ModuleSummary>();
  for (const [path, { record }] of fresh) after.set(path, summarise(path, record));
  for (const old of prevFiles) {
    if (!fresh.has(old.path) && present.has(old.path)) continue;
    const base = UNVERIFIED_STATUSES.includes(old.status) ? store.lastVerified(appId, old.path) : old;
    if (base) before.set(old.path, summarise(old.path, store.record(base.record_id, prevRoot, old.path)));
  }
  return [before, after];
}

/** The record of a path that holds no readable regular file: what it holds instead, and why it was not read. */
function entryRecord(root: string, path: string, entry: EntryState): ModuleRecord {
  return {
    file: { path: `${root}/${path}`, name: path.split('/').pop() ?? path, size: 0, hash: { sha256: '', sha1: '', md5: '' } },
    module: { format: 'unknown', arch: [], kind: undefined, version: { file: undefined, product: undefined } },
    code_signature: { exists: false, status: 'unsigned', valid: false, trusted: false, source: 'none', subject_name: undefined, issuer_name: undefined, digest_algorithm: undefined, timestamp: undefined, thumbprint_sha256: undefined, signatures: [], problems: [] },
    entry,
  };
}
