// What the report shows, read from the history store: per app its versions and updates (module diff and findings),
// and the unexplained findings of all apps. Pure reading: the store is never written.
import { summarise } from '../diff/summary.ts';
import { type FileRow, type FindingRow, type SnapshotRow, type Store } from '../inventory/store/store.ts';
import { SealwatchError } from '../shared/errors.ts';
import { SEVERITY_ORDER, type Severity, severityRank } from '../shared/findings.ts';
import { CODE_FORMATS } from '../shared/model.ts';

export interface FindingView {
  readonly id: number;
  readonly app: string;
  readonly snapshot: number;
  readonly version: string | null;
  readonly rule: string;
  readonly severity: Severity;
  readonly path: string | null;
  readonly message: string;
  /** The stored evidence, pretty-printed JSON. */
  readonly evidence: string;
  readonly state: string;
  readonly explained: boolean;
  readonly createdAt: string;
}

/** One side of a changed path. */
export interface Side {
  readonly sha256: string;
  readonly signer: string;
  readonly status: string;
  readonly format: string;
  /** The module's own version (PE version resource, LC_ID_DYLIB), when it has one. */
  readonly version: string | undefined;
}

export interface ChangeView {
  readonly kind: 'added' | 'removed' | 'changed';
  readonly path: string;
  readonly module: boolean;
  readonly before: Side | undefined;
  readonly after: Side | undefined;
}

export type SeverityCounts = Readonly<Record<Severity, number>>;

export interface UpdateView {
  readonly snapshot: number;
  readonly takenAt: string;
  readonly trigger: string;
  readonly version: string | null;
  /** The snapshot compared with; none for the baseline. */
  readonly from: { readonly snapshot: number; readonly version: string | null } | undefined;
  readonly files: number;
  readonly modules: number;
  readonly changes: readonly ChangeView[];
  /** Most severe first. */
  readonly findings: readonly FindingView[];
  readonly counts: SeverityCounts;
}

export interface AppView {
  readonly name: string;
  readonly vendor: string | null;
  readonly root: string;
  /** Oldest first. */
  readonly updates: readonly UpdateView[];
}

export interface ReportModel {
  readonly generatedAt: string;
  readonly since: string | undefined;
  readonly apps: readonly AppView[];
  /** Above info, not explained, not accepted or dismissed: most severe first, then oldest first. */
  readonly unexplained: readonly FindingView[];
}

export interface ReportOptions {
  readonly apps?: readonly string[];
  readonly since?: Date;
  readonly now: Date;
}


export function findingView(f: FindingRow): FindingView {
  let evidence = f.evidence;
  try {
    // Short evidence on one line, longer one indented: readable, and small in a report of thousands of findings.
    const parsed: unknown = JSON.parse(f.evidence);
    evidence = JSON.stringify(parsed);
    if (evidence.length > 120) evidence = JSON.stringify(parsed, null, 1);
  } catch {
    // kept as stored
  }
  return { id: f.id, app: f.app, snapshot: f.snapshot_id, version: f.version, rule: f.rule, severity: f.severity, path: f.path, message: f.message, evidence, state: f.state, explained: f.explained === 1, createdAt: f.created_at };
}

/** Most severe first; equal severities oldest first. */
export const bySeverity = (a: FindingView, b: FindingView): number => severityRank(b.severity) - severityRank(a.severity) || a.id - b.id;

export function severityCounts(findings: readonly { severity: Severity }[]): SeverityCounts {
  const counts = Object.fromEntries(SEVERITY_ORDER.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of findings) counts[f.severity]++;
  return counts;
}

/** The apps asked for (all when none), each known, else a usage error naming the apps there are. */
export function selectApps(store: Store, names: readonly string[] | undefined): ReturnType<Store['apps']> {
  const all = store.apps();
  if (!names || names.length === 0) return all;
  return names.map((n) => {
    const a = all.find((x) => x.name === n);
    if (!a) throw new SealwatchError('CONFIG', `no app named ${n} in the database${all.length ? ` (apps: ${all.map((x) => x.name).join(', ')})` : ' (it has no apps yet)'}`);
    return a;
  });
}

function side(store: Store, snap: SnapshotRow, row: FileRow): Side {
  let version: string | undefined;
  if (CODE_FORMATS.has(row.format)) {
    try {
      version = summarise(row.path, store.record(row.record_id, snap.root, row.path)).ownVersion;
    } catch {
      version = undefined; // a missing record is the store's problem, reported by its own commands
    }
  }
  return { sha256: row.sha256, signer: row.signer, status: row.status, format: row.format, version };
}

/** What changed between two snapshots' files: content, signature status or signer; paths in order. */
export function changesBetween(store: Store, prev: SnapshotRow, prevFiles: readonly FileRow[], snap: SnapshotRow, files: readonly FileRow[]): ChangeView[] {
  const before = new Map(prevFiles.map((f) => [f.path, f]));
  const out: ChangeView[] = [];
  for (const f of files) {
    const b = before.get(f.path);
    before.delete(f.path);
    if (b && b.sha256 === f.sha256 && b.status === f.status && b.signer === f.signer) continue;
    out.push({ kind: b ? 'changed' : 'added', path: f.path, module: CODE_FORMATS.has(f.format) || (b !== undefined && CODE_FORMATS.has(b.format)), before: b ? side(store, prev, b) : undefined, after: side(store, snap, f) });
  }
  for (const b of before.values()) out.push({ kind: 'removed', path: b.path, module: CODE_FORMATS.has(b.format), before: side(store, prev, b), after: undefined });
  return out.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}

function appView(store: Store, app: ReturnType<Store['apps']>[number], since: string | undefined): AppView {
  const snaps = store.snapshots(app.id);
  const findings = new Map<number, FindingView[]>();
  for (const f of store.findings({ app: app.name })) {
    const list = findings.get(f.snapshot_id) ?? [];
    list.push(findingView(f));
    findings.set(f.snapshot_id, list);
  }
  const updates: UpdateView[] = [];
  let prev: SnapshotRow | undefined;
  let prevFiles: FileRow[] = [];
  const inRange = (s: SnapshotRow | undefined): boolean => s !== undefined && (since === undefined || s.taken_at >= since);
  for (const [i, s] of snaps.entries()) {
    // Files are read only where a diff is shown: the update itself and the snapshot before it.
    const next = inRange(s) || inRange(snaps[i + 1]) ? store.files(s.id) : [];
    if (inRange(s)) {
      const fs = (findings.get(s.id) ?? []).sort(bySeverity);
      updates.push({
        snapshot: s.id,
        takenAt: s.taken_at,
        trigger: s.trigger,
        version: s.version,
        from: prev ? { snapshot: prev.id, version: prev.version } : undefined,
        files: s.files,
        modules: s.modules,
        changes: prev ? changesBetween(store, prev, prevFiles, s, next) : [],
        findings: fs,
        counts: severityCounts(fs),
      });
    }
    prev = s;
    prevFiles = next;
  }
  return { name: app.name, vendor: app.vendor, root: app.root, updates };
}

export function buildReport(store: Store, options: ReportOptions): ReportModel {
  const since = options.since?.toISOString();
  const apps = selectApps(store, options.apps).map((a) => appView(store, a, since));
  const names = new Set(apps.map((a) => a.name));
  const unexplained = store
    .findings({ unexplained: true })
    .filter((f) => names.has(f.app) && (since === undefined || f.created_at >= since))
    .map(findingView)
    .sort(bySeverity);
  return { generatedAt: options.now.toISOString(), since, apps, unexplained };
}
