// Which earlier state each path of a snapshot is compared with: the path's own last verified state; else, in the
// newest Squirrel app-x.y.z folder, the same path in an older folder; else the module of the folder before that a
// release renamed. One logic for a scan (scan-app.ts, against the store's current entries) and for `policy test`
// replaying a stored history (policy/replay.ts, against the snapshot before), so both judge the same changes.
import { sameSignerKind } from '../diff/diff.ts';
import { type ModuleSummary } from '../diff/summary.ts';
import { squirrelBases, squirrelCounterpart } from './judge-context.ts';

/** The state before the snapshot being judged. */
export interface PriorState {
  /** What `path` last held that was verified (a gap in verification never launders a change), as a summary. */
  summary(path: string): ModuleSummary | undefined;
  /** Every path before, with its format: where a Squirrel release's renamed module is looked for. */
  files(): readonly { readonly path: string; readonly format: string }[];
}

/** The snapshot being judged. */
export interface NewState {
  /** Each path read afresh, with its summary when it is kept (code, files that steer the app, unverified entries). */
  readonly fresh: Iterable<readonly [string, ModuleSummary | undefined]>;
  /** Paths gone since before. */
  readonly removed: readonly string[];
  /** Whether `path` is there now or was before (a module whose name the newest folder holds or held is not a
   * Squirrel rename's counterpart). */
  has(path: string): boolean;
  /** A fresh data file's summary, asked only when a module was at its path before (MODULE_DISPLACED). */
  dataSummary(path: string): ModuleSummary | undefined;
}

/** Before and after summaries of what moved, for diffModules; `squirrel` is the app's version folders, newest first. */
export function pairChanges(now: NewState, prior: PriorState, squirrel: readonly string[]): [Map<string, ModuleSummary>, Map<string, ModuleSummary>] {
  const before = new Map<string, ModuleSummary>();
  const after = new Map<string, ModuleSummary>();
  // A module a Squirrel release renamed (a version in its name): compared with the one it replaces in the folder
  // before, when the signers agree as diff.ts pairs renames (the same trusted identity, or both naming no one alike).
  const renamedInSquirrel = (path: string, a: ModuleSummary): ModuleSummary | undefined => {
    const from = squirrelCounterpart(path, squirrel, () => prior.files(), (p) => now.has(p));
    const b = from ? prior.summary(from) : undefined;
    return b && sameSignerKind(a, b) ? b : undefined;
  };
  for (const [path, summary] of now.fresh) {
    const b = prior.summary(path) ?? squirrelBases(path, squirrel).map((p) => prior.summary(p)).find((s) => s !== undefined) ?? (summary?.isCode ? renamedInSquirrel(path, summary) : undefined);
    // Data replacing data is no module's business; data replacing a module is (MODULE_DISPLACED).
    const a = summary ?? (b?.isCode ? now.dataSummary(path) : undefined);
    if (!a) continue;
    after.set(path, a);
    if (b) before.set(path, b);
  }
  for (const path of now.removed) {
    const b = prior.summary(path);
    if (b) before.set(path, b);
  }
  return [before, after];
}
