// One cycle for one app: scan → store → diff against the previous snapshot → detect → store findings.
// The watcher and the CLI both call this; it owns no state between calls.
import { realpath } from 'node:fs/promises';
import { diffModules, type ModuleChange } from '../diff/diff.ts';
import { summarise, type ModuleSummary } from '../diff/summary.ts';
import { detect, type Finding } from '../detect/rules.ts';
import { appVersion } from '../inventory/app-version.ts';
import { bundleLayout, inspectBundle } from '../inventory/bundle.ts';
import { type InspectContext } from '../inventory/inspect-file.ts';
import { loadTrustStore } from '../config/trust.ts';
import { type InspectPool } from '../inventory/pool.ts';
import { scanTree, type PreviousFile, type ScanOutcome } from '../inventory/scan.ts';
import { type FileRow, type SnapshotFile, type Store } from '../inventory/store/store.ts';
import { type ModuleRecord } from '../shared/model.ts';

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

export async function scanApp(store: Store, pool: InspectPool, req: ScanRequest): Promise<ScanReport> {
  const root = await realpath(req.root);
  const app = store.upsertApp(req.app, root, req.vendor, req.now);
  const prevSnapshot = store.latestSnapshot(app.id);
  const prevFiles = prevSnapshot ? store.files(prevSnapshot.id) : [];
  const previous = new Map<string, PreviousFile>(prevFiles.map((f) => [f.path, { stat: f.stat, recordId: f.record_id, sha256: f.sha256 }]));

  // Bundles are verified in this thread (their seal needs every file under them), with a context built on first use.
  let mainContext: InspectContext | undefined;
  const inspectBundleAt = async (dir: string): Promise<ModuleRecord | undefined> => {
    const layout = await bundleLayout(dir);
    if (!layout) return undefined;
    mainContext ??= { store: loadTrustStore(pool.config.trustDirs), now: new Date(pool.config.now), signatureCache: new Map<string, boolean>() };
    return (await inspectBundle(layout, mainContext)).record;
  };
  const outcome = await scanTree(root, previous, pool, inspectBundleAt);
  const prevByPath = new Map(prevFiles.map((p) => [p.path, p]));
  // Unchanged files keep their stored rows: their records are not even loaded, except the few top-level
  // executables the app version may come from.
  const files: SnapshotFile[] = outcome.files.map((f) =>
    f.record ? { path: f.path, stat: f.stat, record: f.record } : { path: f.path, stat: f.stat, reused: prevByPath.get(f.path) as FileRow },
  );
  const versionSources = new Map<string, ModuleRecord>();
  for (const f of files) {
    if ('record' in f) versionSources.set(f.path, f.record);
    else if (!f.path.includes('/') && f.reused.format === 'pe') versionSources.set(f.path, store.record(f.reused.record_id, root, f.path));
  }
  const version = await appVersion(root, versionSources, req.appVersion);
  // Unreadable files are part of the snapshot too, recorded as such (never silently missing from history).
  for (const u of outcome.unreadable) files.push({ path: u.path, stat: 'unreadable', record: unreadableRecord(root, u.path, u.reason) });
  const { snapshotId } = store.recordSnapshot({
    appId: app.id,
    version: version.version,
    versionSource: version.source,
    takenAt: req.now,
    trigger: req.trigger,
    root,
    files,
  });

  // Diff only what moved: reused records are unchanged by construction; fresh ones are compared with the old row.
  const before = new Map<string, ModuleSummary>();
  const after = new Map<string, ModuleSummary>();
  const nextPaths = new Set(files.map((f) => f.path));
  for (const f of files) {
    if (!('record' in f)) continue;
    after.set(f.path, summarise(f.path, f.record));
    const old = prevByPath.get(f.path);
    if (old) before.set(f.path, summarise(f.path, store.record(old.record_id, prevSnapshot?.root ?? root, f.path)));
  }
  for (const old of prevFiles) {
    if (!nextPaths.has(old.path)) before.set(old.path, summarise(old.path, store.record(old.record_id, prevSnapshot?.root ?? root, old.path)));
  }
  const changes = diffModules(before, after);
  const knownSigners = new Set(prevFiles.map((f) => f.signer).filter((s) => s.startsWith('org:') || s.startsWith('team:')));
  const findings = detect({
    baseline: prevSnapshot === undefined,
    fromVersion: prevSnapshot?.version ?? undefined,
    toVersion: version.version,
    changes,
    knownSigners,
    appWasSigned: knownSigners.size > 0,
  });
  store.insertFindings(app.id, snapshotId, findings, req.now);
  return {
    app: req.app,
    snapshotId,
    fromVersion: prevSnapshot?.version ?? undefined,
    toVersion: version.version,
    versionSource: version.source,
    baseline: prevSnapshot === undefined,
    files: files.length,
    read: outcome.read,
    reused: outcome.reused,
    changes,
    findings,
    unreadable: outcome.unreadable,
  };
}

function unreadableRecord(root: string, path: string, reason: string): ModuleRecord {
  return {
    file: { path: `${root}/${path}`, name: path.split('/').pop() ?? path, size: 0, hash: { sha256: '', sha1: '', md5: '' } },
    module: { format: 'unknown', arch: [], kind: undefined, version: { file: undefined, product: undefined } },
    code_signature: { exists: false, status: 'unsigned', valid: false, trusted: false, source: 'none', subject_name: undefined, issuer_name: undefined, digest_algorithm: undefined, timestamp: undefined, thumbprint_sha256: undefined, signatures: [], problems: [] },
    error: { code: 'IO', message: `${path}: ${reason}` },
  };
}
