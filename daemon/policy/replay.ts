// `policy test`: the stored history of an app judged again under a set of policies, read-only. For each snapshot the
// stored findings are put back as detection left them (withoutPolicies), the snapshot's changes are rebuilt from its
// stored records and paired as the scan paired them (pipeline/pairing.ts: last verified state, Squirrel folders),
// the policy stage runs again, and what differs is reported. Nothing is written.
import { diffModules, type ModuleChange } from '../diff/diff.ts';
import { type ModuleSummary } from '../diff/summary.ts';
import { type AppRow, type FileRow, type FindingRow, type Store, UNVERIFIED_STATUSES } from '../inventory/store/store.ts';
import { squirrelFoldersOf, squirrelHistory } from '../pipeline/judge-context.ts';
import { pairChanges } from '../pipeline/pairing.ts';
import { dataSummary, keptSummary, storedSummary } from '../pipeline/record-sink.ts';
import { type Finding, type RuleId } from '../shared/findings.ts';
import { applyPolicies, policiesFor, withoutPolicies } from './apply.ts';
import { appFacts } from './facts.ts';
import { type Policy } from './types.ts';


export interface FindingState {
  readonly severity: Finding['severity'];
  readonly explained: boolean;
  readonly policy?: Finding['policy'];
}

export interface FindingChange {
  readonly kind: 'changed' | 'added' | 'removed';
  readonly rule: RuleId;
  readonly path: string | undefined;
  readonly message: string;
  readonly before?: FindingState;
  readonly after?: FindingState;
}

export interface SnapshotReplay {
  readonly snapshot: number;
  readonly version: string | null;
  readonly takenAt: string;
  /** The policies that recognise the app in this snapshot. */
  readonly policies: readonly string[];
  readonly changes: readonly FindingChange[];
}

const asFinding = (r: FindingRow): Finding => ({
  rule: r.rule as RuleId,
  severity: r.severity,
  path: r.path ?? undefined,
  message: r.message,
  evidence: JSON.parse(r.evidence) as Record<string, unknown>,
  explained: r.explained === 1,
});

const stateOf = (f: Finding): FindingState => {
  const p = f.evidence.policy as { file?: string; entry?: string; action?: string; reason?: string } | undefined;
  const policy = f.policy ?? (p?.file && p.action ? { file: p.file, action: p.action, ...(p.entry ? { rule: p.entry } : {}), ...(p.reason ? { reason: p.reason } : {}) } : undefined);
  return { severity: f.severity, explained: f.explained, ...(policy ? { policy } : {}) };
};

const keyOf = (f: Finding): string => `${f.rule}\0${f.path ?? ''}\0${f.message}`;

/** Stored against re-evaluated, matched by rule, path and message. */
export function compareFindings(stored: readonly Finding[], evaluated: readonly Finding[]): FindingChange[] {
  const pending = new Map<string, Finding[]>();
  for (const f of stored) pending.set(keyOf(f), [...(pending.get(keyOf(f)) ?? []), f]);
  const out: FindingChange[] = [];
  for (const f of evaluated) {
    const was = pending.get(keyOf(f))?.shift();
    if (!was) out.push({ kind: 'added', rule: f.rule, path: f.path, message: f.message, after: stateOf(f) });
    else if (was.severity !== f.severity || was.explained !== f.explained) out.push({ kind: 'changed', rule: f.rule, path: f.path, message: f.message, before: stateOf(was), after: stateOf(f) });
  }
  for (const rest of pending.values()) for (const f of rest) out.push({ kind: 'removed', rule: f.rule, path: f.path, message: f.message, before: stateOf(f) });
  return out;
}

/** A stored file row, with the root of the snapshot it belongs to (records are read back relative to it). */
interface RootedRow {
  readonly row: FileRow;
  readonly root: string;
}

/** The snapshot before, and each path's last verified row up to it. */
interface Prior {
  readonly root: string;
  readonly files: readonly FileRow[];
  readonly verified: ReadonlyMap<string, RootedRow>;
}

/** The changes a snapshot recorded, rebuilt from the stored records and paired as the scan paired them (pairing.ts). */
function changesOf(store: Store, prev: Prior | undefined, root: string, files: readonly FileRow[]): ModuleChange[] {
  const old = new Map((prev?.files ?? []).map((f) => [f.path, f]));
  const now = new Map(files.map((f) => [f.path, f]));
  const fresh: Array<[string, ModuleSummary | undefined]> = [];
  for (const f of files) {
    const o = old.get(f.path);
    if (o && o.record_id === f.record_id && o.status === f.status) continue;
    fresh.push([f.path, keptSummary(f.path, store.record(f.record_id, root, f.path), prev !== undefined)]);
  }
  const removed = [...old.keys()].filter((p) => !now.has(p));
  const squirrel = squirrelHistory(squirrelFoldersOf(files.map((f) => f.path)), removed);
  const prior = {
    summary: (path: string): ModuleSummary | undefined => {
      const o = old.get(path);
      if (!o || !prev) return undefined;
      const base = UNVERIFIED_STATUSES.includes(o.status) ? prev.verified.get(path) : { row: o, root: prev.root };
      return base ? storedSummary(store, path, base.row, base.root) : undefined;
    },
    files: () => prev?.files ?? [],
  };
  const state = {
    fresh,
    removed,
    has: (path: string) => now.has(path) || old.has(path),
    dataSummary: (path: string) => {
      const row = now.get(path);
      return row ? dataSummary(path, row) : undefined;
    },
  };
  return diffModules(...pairChanges(state, prior, squirrel));
}

/** Every snapshot of the app, oldest first, judged again; `at` (when given) replaces each snapshot's own time. */
export function replayHistory(store: Store, app: AppRow, policies: readonly Policy[], at?: Date): SnapshotReplay[] {
  const out: SnapshotReplay[] = [];
  let prev: Prior | undefined;
  const verified = new Map<string, RootedRow>();
  for (const s of store.snapshots(app.id)) {
    const files = store.files(s.id);
    const changes = changesOf(store, prev, s.root, files);
    const rootBundle = files.find((f) => f.path === './');
    const facts = appFacts(app.name, s.root, rootBundle ? store.record(rootBundle.record_id, s.root, './') : undefined, prev?.files.map((f) => f.signer), changes);
    const stored = store.findings({ snapshotId: s.id }).map(asFinding);
    const evaluated = applyPolicies(withoutPolicies(stored), { policies, app: facts, changes, baseline: prev === undefined, at: at ?? new Date(s.taken_at) });
    out.push({ snapshot: s.id, version: s.version, takenAt: s.taken_at, policies: policiesFor(policies, facts).map((p) => p.name), changes: compareFindings(stored, evaluated) });
    for (const f of files) if (!UNVERIFIED_STATUSES.includes(f.status)) verified.set(f.path, { row: f, root: s.root });
    prev = { root: s.root, files, verified };
  }
  return out;
}
