// One cycle for one app: lock → scan → store records → diff against the previous snapshot → detect → commit the
// snapshot and its findings in one transaction. The watcher and the CLI both call this; it owns no state between
// calls.
import { realpath } from 'node:fs/promises';
import { type AlertDestination } from '../alert/destination.ts';
import { planAlerts, type PlannedAlert } from '../alert/enqueue.ts';
import { diffModules, type ModuleChange } from '../diff/diff.ts';
import { type ModuleSummary } from '../diff/summary.ts';
import { detect, type DetectInput } from '../detect/rules.ts';
import { priorLayout, squirrelFoldersOf, squirrelHistory, versionTrust } from './judge-context.ts';
import { pairChanges } from './pairing.ts';
import { ruleSeverity } from '../detect/rule-table.ts';
import { appVersion } from '../inventory/app-version.ts';
import type { InspectContext } from '../inventory/inspect-file.ts';
import type { InspectPool } from '../inventory/pool.ts';
import { scanTree, type ScanOutcome, type SpecialEntry } from '../inventory/scan.ts';
import { type CurrentStat, type SnapshotRow, type Store, UNVERIFIED_STATUSES } from '../inventory/store/store.ts';
import { type Finding } from '../shared/findings.ts';
import { applyPolicies } from '../policy/apply.ts';
import { appFacts } from '../policy/facts.ts';
import { type Policy } from '../policy/types.ts';
import { type EntryState, type ModuleRecord } from '../shared/model.ts';
import { dataSummary, isVersionSource, RecordSink, storedSummary } from './record-sink.ts';
import { withScanLock, type LockTiming } from './scan-lock.ts';
import type { ManifestStage, ManifestUse } from '../manifest/stage.ts';

/** Apps with at most this many current entries have them read in one query at the start of a rescan. */
const ONE_QUERY_ENTRIES = 20_000;

export interface ScanRequest {
  readonly app: string;
  readonly root: string;
  readonly vendor?: string;
  readonly appVersion?: string;
  readonly trigger: 'manual' | 'watch' | 'schedule';
  readonly now: Date;
  /** Re-read and re-hash every file: no file is taken as unchanged for its stat (size, mtime, ctime, inode can all be
   * kept by a rewrite). The daemon's scheduled full rescan; watch and reconciliation scans trust the stat. */
  readonly deep?: boolean;
  /** Destinations to alert: one outbox row each whose min_severity this scan's unexplained findings reach, committed
   * in the snapshot's transaction. */
  readonly alerts?: readonly AlertDestination[];
  /** Manifests to check this scan against (issue 11): after detect, before policy. */
  readonly manifests?: ManifestStage;
  /** Policies (daemon/policy): those that recognise this app judge its findings after detection; time is `now`. */
  readonly policies?: readonly Policy[];
  /** Export sinks (config `export:` names): each gets an export outbox row with this snapshot, in its commit. */
  readonly exports?: readonly string[];
}

export interface ScanReport {
  readonly app: string;
  readonly snapshotId: number;
  readonly fromVersion: string | undefined;
  readonly toVersion: string | undefined;
  readonly versionSource: string;
  /** The version comes from a signed source (a trusted main executable's version resource, a sealed Info.plist) or the operator. */
  readonly versionSigned: boolean;
  /** Version sources that exist but were refused (a link out of the root, a FIFO, too large), with the reason. */
  readonly versionRefused: readonly string[];
  readonly baseline: boolean;
  readonly files: number;
  readonly read: number;
  readonly reused: number;
  readonly changes: readonly ModuleChange[];
  readonly findings: readonly Finding[];
  readonly unreadable: ScanOutcome['unreadable'];
  /** Alerts queued in the outbox with this snapshot (one per destination whose threshold was reached). */
  readonly alerts: readonly PlannedAlert[];
  /** What became of each manifest given: used, for another version, or rejected (with why). */
  readonly manifests?: readonly ManifestUse[];
}

export async function scanApp(store: Store, pool: InspectPool, req: ScanRequest, lockTiming?: LockTiming): Promise<ScanReport> {
  const root = await realpath(req.root);
  return withScanLock(store, req.app, () => scanLocked(store, pool, req, root), lockTiming);
}

async function scanLocked(store: Store, pool: InspectPool, req: ScanRequest, root: string): Promise<ScanReport> {
  const appId = store.upsertApp(req.app, root, req.vendor, req.now).id;
  const prevSnapshot = store.latestSnapshot(appId);
  const sink = new RecordSink(store, { keepSteering: prevSnapshot !== undefined });
  try {
    const seen = await collect(store, appId, pool, req, root, sink, prevSnapshot !== undefined);
    return await judgeAndCommit(store, appId, prevSnapshot, req, root, seen);
  } finally {
    sink.close();
  }
}

/** Version, diff against the previous snapshot, findings, and the one commit. */
async function judgeAndCommit(store: Store, appId: number, prevSnapshot: SnapshotRow | undefined, req: ScanRequest, root: string, seen: Collected): Promise<ScanReport> {
  const folders = squirrelHistory(seen.squirrelFolders, seen.removed);
  const sources = versionSources(store, appId, root, seen.sink.topLevel, folders[0], prevSnapshot?.version_source, seen.removed);
  const previousMain = /^version resource of (.+?)(?: \(signed\))?$/.exec(prevSnapshot?.version_source ?? '')?.[1];
  const version = await appVersion(root, sources, req.appVersion, previousMain, folders);
  const changes = diffModules(...summariesToCompare(store, appId, prevSnapshot?.root ?? root, seen.sink, seen.removed, folders));
  const baseline = prevSnapshot === undefined;
  const context = { prior: priorLayout(store, appId, prevSnapshot, changes, folders), version: versionTrust(version, seen.sink, prevSnapshot) };
  const detected = judge(store, appId, { baseline, fromVersion: prevSnapshot?.version ?? undefined, toVersion: version.version, changes, squirrelFolders: folders, ...context });
  const manifested = req.manifests ? await req.manifests.apply(detected, { store, appId, app: req.app, root, previous: prevSnapshot, version: version.version, rows: () => seen.sink.rows(), row: (path) => seen.sink.row(path), removed: seen.removed, now: req.now }) : undefined;
  const checked = manifested?.findings ?? detected;
  const findings = req.policies?.length ? applyPolicies(checked, { policies: req.policies, app: appFacts(req.app, root, sources.get('./'), baseline ? undefined : store.currentSigners(appId), changes), changes, baseline, at: req.now }) : checked;
  const alerts = planAlerts(req.alerts ?? [], { app: req.app, fromVersion: prevSnapshot?.version ?? undefined, toVersion: version.version, time: req.now, findings });
  const { snapshotId } = store.commitScan({
    appId: appId,
    previousSnapshotId: prevSnapshot?.id,
    version: version.version,
    versionSource: version.source,
    takenAt: req.now,
    trigger: req.trigger,
    root,
    changed: seen.sink.rows(),
    removed: seen.removed,
    findings,
    alerts: alerts.rows,
    ...(req.exports?.length ? { exports: req.exports } : {}),
    ...(manifested ? { meta: manifested.meta } : {}),
  });
  return {
    app: req.app,
    snapshotId,
    fromVersion: prevSnapshot?.version ?? undefined,
    toVersion: version.version,
    versionSource: version.source,
    versionSigned: version.signed === true,
    versionRefused: version.refused ?? [],
    baseline,
    files: seen.present,
    read: seen.outcome.read,
    reused: seen.outcome.reused,
    changes,
    findings,
    unreadable: seen.outcome.unreadable,
    alerts: alerts.planned,
    ...(manifested ? { manifests: manifested.uses } : {}),
  };
}

/**
 * Walks the root and stores what changed: fresh records (streamed into the store), and the paths that hold no
 * readable file — unreadable, links, FIFOs, devices — recorded as such, never silently missing.
 */
interface Collected {
  readonly sink: RecordSink;
  readonly outcome: ScanOutcome;
  readonly present: number;
  readonly removed: string[];
  /** The Squirrel app-x.y.z folders that hold something now (judge-context.ts squirrelFoldersOf). */
  readonly squirrelFolders: readonly string[];
}

async function collect(store: Store, appId: number, pool: InspectPool, req: ScanRequest, root: string, sink: RecordSink, hasPrevious: boolean): Promise<Collected> {
  // A first snapshot has nothing to compare stats with; a small app's are read in one query, a large app's per file
  // (holding 100,000 of them would cost the memory a rescan is bounded by).
  const all = hasPrevious ? store.currentStatsUpTo(appId, ONE_QUERY_ENTRIES) : new Map<string, CurrentStat>();
  const previous = all ?? { get: (path: string) => store.currentStat(appId, path) };
  const present = new Set<string>();
  const outcome = await scanTree(root, req.deep ? { get: () => undefined } : previous, pool, bundleInspector(pool, req.now), { onRecord: (f) => sink.add(f.path, f.stat, f.record), onReused: (path) => present.add(path) });
  for (const f of outcome.files) present.add(f.path);
  for (const u of outcome.unreadable) {
    present.add(u.path);
    if (!sink.has(u.path)) sink.add(u.path, 'unreadable', entryRecord(root, u.path, { type: 'unreadable', reason: u.reason }));
  }
  for (const e of outcome.special) {
    present.add(e.path);
    if (e.inspected || sink.has(e.path)) continue;
    // An unchanged link or device keeps its entry, like an unchanged file.
    if (previous.get(e.path)?.stat !== e.stat) sink.add(e.path, e.stat, entryRecord(root, e.path, entryOf(e)));
  }
  sink.flush();
  return { sink, outcome, present: present.size, removed: store.currentPathsMissingFrom(appId, present), squirrelFolders: squirrelFoldersOf(present) };
}

/** The detection rules on these changes, with what the app's history says (its signers; a reset history). */
function judge(store: Store, appId: number, input: Pick<DetectInput, 'baseline' | 'fromVersion' | 'toVersion' | 'changes' | 'prior' | 'version' | 'squirrelFolders'>): Finding[] {
  const knownSigners = new Set([...store.currentSigners(appId)].filter((s) => s.startsWith('org:') || s.startsWith('team:')));
  const findings = detect({ ...input, knownSigners, appWasSigned: knownSigners.size > 0 });
  const reset = input.baseline ? store.historyReset() : undefined;
  if (reset) {
    const message = `the history database was started again (${String(reset.reason)}): changes before this baseline are unknown`;
    findings.unshift({ rule: 'HISTORY_RESET', severity: ruleSeverity('HISTORY_RESET'), path: undefined, message, evidence: reset, explained: false });
  }
  return findings;
}

/**
 * Bundles are verified in this thread (their seal needs every file under them), with a context built on first use.
 * The bundle verifier and the trust store load only then: a scan without a changed bundle never loads them here.
 */
function bundleInspector(pool: InspectPool, now: Date): (dir: string) => Promise<ModuleRecord | undefined> {
  let context: Promise<InspectContext> | undefined;
  return async (dir) => {
    const { bundleLayout, inspectBundle } = await import('../inventory/bundle.ts');
    const layout = await bundleLayout(dir);
    if (!layout) return undefined;
    context ??= import('../inventory/verification-context.ts').then(({ buildInspectContext }) => buildInspectContext(pool.config, now));
    return (await inspectBundle(layout, await context)).record;
  };
}

/**
 * Records the app version may come from: fresh ones (top-level executables, a bundle root, executables of the newest
 * Squirrel folder), plus the stored records of unchanged ones. In an unchanged Squirrel folder the only executable
 * that matters is the one the previous snapshot took its version from (its source names it): no listing of the app.
 */
function versionSources(store: Store, appId: number, root: string, fresh: ReadonlyMap<string, ModuleRecord>, squirrel: string | undefined, prevSource: string | null | undefined, removed: readonly string[]): Map<string, ModuleRecord> {
  const sources = new Map(fresh);
  const rootBundle = store.currentEntry(appId, './');
  const prevMain = /^version resource of (.+?)(?: \(signed\))?$/.exec(prevSource ?? '')?.[1];
  const squirrelMain = squirrel && prevMain?.startsWith(`${squirrel}/`) ? store.currentEntry(appId, prevMain) : undefined;
  const stored = [...store.currentTopLevel(appId), ...(rootBundle ? [rootBundle] : []), ...(squirrelMain ? [squirrelMain] : [])];
  // A file this scan found gone gives no version (the previous snapshot's main executable, deleted).
  const gone = new Set(removed);
  for (const f of stored) if (!sources.has(f.path) && !gone.has(f.path) && isVersionSource(f.path, { module: { format: f.format } })) sources.set(f.path, store.record(f.record_id, root, f.path));
  return sources;
}

/**
 * Before and after summaries of what moved (pairing.ts), against the store's current entries. A path whose previous
 * state was not verified (unreadable, a device, a link out of the root) is compared with the last state that was,
 * so a gap in verification can never launder a change.
 */
function summariesToCompare(store: Store, appId: number, prevRoot: string, sink: RecordSink, removed: readonly string[], squirrel: readonly string[]): [Map<string, ModuleSummary>, Map<string, ModuleSummary>] {
  let files: readonly { path: string; format: string }[] | undefined;
  const prior = {
    summary: (path: string): ModuleSummary | undefined => {
      const old = store.currentEntry(appId, path);
      const base = old && UNVERIFIED_STATUSES.includes(old.status) ? store.lastVerified(appId, path) : old;
      if (!base) return undefined;
      // Only code needs its whole record back; a data file is what its row says.
      return storedSummary(store, path, base, prevRoot);
    },
    files: () => (files ??= store.currentFiles(appId)),
  };
  const now = {
    fresh: sink.fresh,
    removed,
    has: (path: string) => sink.has(path) || store.currentEntry(appId, path) !== undefined,
    dataSummary: (path: string) => {
      const staged = sink.row(path);
      return staged ? dataSummary(path, staged) : undefined;
    },
  };
  return pairChanges(now, prior, squirrel);
}

function entryOf(e: SpecialEntry): EntryState {
  return e.kind === 'symlink' ? { type: 'symlink', ...(e.target !== undefined ? { target: e.target } : {}), inside: e.inside === true, reason: e.reason } : { type: e.kind, reason: e.reason };
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
