// Changes + context → findings. Pure; no I/O, no clock. The rules, their severities and whether a baseline caps them
// are data (rule-table.ts, mirrored in README "Detection rules"); each family of rules is evaluated in a file of its
// own (entry-, fact-, signer-, capability-, module- and steering-rules.ts; grouping.ts for sets of new modules); this
// file runs them over every change. Every change is either explained by the update or becomes a finding. Findings
// come out most severe first (stable), so one real swap among 200 legitimate changes is at the top.
import { type ModuleChange } from '../diff/diff.ts';
import { type ModuleSummary } from '../diff/summary.ts';
import { type Finding, type Severity, SEVERITY_ORDER } from '../shared/findings.ts';
import { directoriesDisplaced, entryRules } from './entry-rules.ts';
import { factRules } from './fact-rules.ts';
import { finding } from './finding.ts';
import { groupNewModules } from './grouping.ts';
import { type DetectInput } from './input.ts';
import { changeRules } from './module-rules.ts';
import { RULES, ruleSeverity } from './rule-table.ts';
import { newScriptsInUpdate, steeringClass, steeringDisplaced, steeringRule, type SteeringOutcome } from './steering-rules.ts';
import { notAnUpdate, pathState, versionState, type VersionState } from './version-state.ts';
import { compareVersions } from './versions.ts';

export { compareVersions, SEVERITY_ORDER, type DetectInput, type Finding, type Severity };

/** Evidence lists are bounded: an update of 10,000 JavaScript files lists the first ones and counts the rest. */
const LIST_LIMIT = 200;

/** On a baseline there is nothing to compare: change rules are capped at info, facts keep their severity. */
function asBaseline(f: Finding): Finding | undefined {
  const spec = RULES[f.rule];
  if (spec.kind === 'fact') return f;
  if (spec.notOnBaseline) return undefined;
  return { ...f, severity: 'info', message: `baseline: ${f.message}` };
}

/** Most severe first; the order raised within a severity. */
export function bySeverityDesc(findings: readonly Finding[]): Finding[] {
  return findings.map((f, i) => ({ f, i })).sort((x, y) => SEVERITY_ORDER.indexOf(y.f.severity) - SEVERITY_ORDER.indexOf(x.f.severity) || x.i - y.i).map((x) => x.f);
}

interface Explained {
  readonly changed: string[];
  readonly removed: string[];
  readonly renamed: { from: string; to: string }[];
}

function removedModule(c: ModuleChange, input: DetectInput, state: VersionState, findings: Finding[], explained: Explained): void {
  if (state === 'moved' || input.baseline) {
    explained.removed.push(c.path);
    return;
  }
  const { why, variant } = notAnUpdate(input, state);
  findings.push(finding('OUT_OF_BAND_CHANGE', c, `${c.path}: module removed ${why}`, {}, variant));
}

function versionFindings(input: DetectInput, state: VersionState): Finding[] {
  const out: Finding[] = [];
  if (!input.baseline && compareVersions(input.toVersion, input.fromVersion) === -1) {
    out.push(finding('DOWNGRADE', undefined, `app version went backwards: ${input.fromVersion} → ${input.toVersion}`, { from: input.fromVersion, to: input.toVersion }));
  }
  if (input.baseline || !input.version?.signed || state === 'moved') return out;
  for (const m of input.version.unsignedMoved) {
    out.push({
      ...finding('UNSIGNED_VERSION_MOVED', undefined, `${m.path}: says version ${m.version}, but the signed ${input.version.source} still says ${input.toVersion ?? '?'} — the app did not update`, {
        source: m.source,
        claimed: m.version,
        signed_source: input.version.source,
        signed_version: input.toVersion,
      }),
      path: m.path,
    });
  }
  return out;
}

function explanation(input: DetectInput, explained: Explained, steering: SteeringOutcome): Finding | undefined {
  const { changed, removed, renamed } = explained;
  if (!changed.length && !removed.length && !steering.listed.length) return undefined;
  // Counted here: the modules that raise nothing of their own (a module with an info finding is in that finding).
  const parts = changed.length || removed.length ? [`${changed.length} module(s) changed and ${removed.length} removed with no finding of their own`] : [];
  if (renamed.length) parts.push(`${renamed.length} renamed`);
  if (steering.listed.length) parts.push(`${steering.listed.length} file(s) that steer the app (app code, scripts, updater settings) changed with it`);
  return {
    rule: 'UPDATE_EXPLAINED',
    severity: ruleSeverity('UPDATE_EXPLAINED'),
    path: undefined,
    message: `${parts.join('; ')}, explained by the update ${input.fromVersion ?? '?'} → ${input.toVersion ?? '?'} (same signers, versions moved or none of their own)`,
    evidence: { changed, removed, ...(renamed.length ? { renamed } : {}), ...(steering.listed.length ? { steering: steering.listed.slice(0, LIST_LIMIT), steering_count: steering.listed.length } : {}) },
    explained: true,
  };
}

export function detect(input: DetectInput): Finding[] {
  const state = versionState(input);
  const findings: Finding[] = versionFindings(input, state);
  const explained: Explained = { changed: [], removed: [], renamed: [] };
  const steering: SteeringOutcome = { findings: [], listed: [], newScripts: [] };
  const displacedBy = directoriesDisplaced(input.changes);
  const groups = groupNewModules(input, state === 'moved');
  const grouped = new Set(groups.flatMap((g) => [...g.members]));
  for (const c of input.changes) {
    const dir = displacedBy.get(c.path);
    if (dir) {
      if (dir.path === c.path) findings.push(dir);
      continue;
    }
    const cls = steeringClass(c);
    if (c.kind === 'removed') {
      if (c.before?.isCode) removedModule(c, input, state, findings, explained);
      else if (cls && !input.baseline) steeringRule(c, cls, state, input, steering);
      continue;
    }
    const a = c.after as ModuleSummary;
    const st = pathState(c.path, input, state);
    const displaced = cls && !input.baseline ? steeringDisplaced(c, cls) : undefined;
    if (displaced) {
      findings.push(displaced);
      continue;
    }
    const entry = entryRules(c, input.baseline || st === 'moved');
    if (entry?.length === 0 && cls) {
      if (!input.baseline) steeringRule(c, cls, st, input, steering);
      continue;
    }
    let fired = entry ?? [...factRules(c, a), ...changeRules(c, a, input, st)];
    // A member of a grouped set is not also a new module of its own; its facts still stand.
    if (grouped.has(c.path)) fired = fired.filter((f) => f.rule !== 'NEW_MODULE' && f.rule !== 'NEW_UNSIGNED_MODULE');
    if (fired.length === 0 && c.kind === 'changed' && a.isCode) {
      explained.changed.push(c.path);
      if (c.renamedFrom) explained.renamed.push({ from: c.renamedFrom, to: c.path });
    }
    findings.push(...fired);
  }
  findings.push(...groups.map((g) => g.finding), ...steering.findings);
  const scripts = newScriptsInUpdate(steering.newScripts, input);
  if (scripts) findings.push(scripts);
  if (input.baseline) {
    const modules = input.changes.filter((c) => c.after?.isCode).length;
    return bySeverityDesc([
      ...findings.map(asBaseline).filter((f): f is Finding => f !== undefined),
      {
        rule: 'BASELINE',
        severity: ruleSeverity('BASELINE'),
        path: undefined,
        message: `baseline of ${modules} modules at version ${input.toVersion ?? '(unknown)'}`,
        evidence: { version: input.toVersion, modules, ...(input.version ? { version_source: input.version.source, version_signed: input.version.signed } : {}) },
        explained: true,
      },
    ]);
  }
  const why = explanation(input, explained, steering);
  if (why) findings.push(why);
  return bySeverityDesc(findings);
}
