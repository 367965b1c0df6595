// Changes + context → findings. Pure; no I/O, no clock. The rules, their severities and whether a baseline caps them
// are data (rule-table.ts, mirrored in README "Detection rules"); each family of rules is evaluated in a file of its
// own (entry-, fact-, signer-, capability- and module-rules.ts); this file runs them over every change. Every change
// is either explained by the update or becomes a finding.
import { type ModuleSummary } from '../diff/summary.ts';
import { type Finding, type Severity, SEVERITY_ORDER } from '../shared/findings.ts';
import { directoriesDisplaced, entryRules } from './entry-rules.ts';
import { factRules } from './fact-rules.ts';
import { finding } from './finding.ts';
import { type DetectInput } from './input.ts';
import { changeRules } from './module-rules.ts';
import { RULES, ruleSeverity } from './rule-table.ts';
import { compareVersions } from './versions.ts';

export { compareVersions, SEVERITY_ORDER, type DetectInput, type Finding, type Severity };

/** On a baseline there is nothing to compare: change rules are capped at info, facts keep their severity. */
function asBaseline(f: Finding): Finding | undefined {
  const kind = RULES[f.rule].kind;
  if (kind === 'fact') return f;
  if (f.rule === 'NEW_MODULE') return undefined;
  return { ...f, severity: 'info', message: `baseline: ${f.message}` };
}

export function detect(input: DetectInput): Finding[] {
  const appVersionChanged = input.fromVersion !== input.toVersion;
  const versionsKnown = input.fromVersion !== undefined && input.toVersion !== undefined;
  const findings: Finding[] = [];
  if (!input.baseline && compareVersions(input.toVersion, input.fromVersion) === -1) {
    findings.push(finding('DOWNGRADE', undefined, `app version went backwards: ${input.fromVersion} → ${input.toVersion}`, { from: input.fromVersion, to: input.toVersion }));
  }
  const explained: string[] = [];
  const removed: string[] = [];
  const displacedBy = directoriesDisplaced(input.changes);
  for (const c of input.changes) {
    const dir = displacedBy.get(c.path);
    if (dir) {
      if (dir.path === c.path) findings.push(dir);
      continue;
    }
    if (c.kind === 'removed') {
      if (!c.before?.isCode) continue;
      if (!input.baseline && versionsKnown && !appVersionChanged) {
        findings.push(finding('OUT_OF_BAND_CHANGE', c, `${c.path}: module removed while the app's version stayed ${input.toVersion}`));
      } else removed.push(c.path);
      continue;
    }
    const a = c.after as ModuleSummary;
    const fired = entryRules(c) ?? [...factRules(c, a), ...changeRules(c, a, input, appVersionChanged)];
    if (fired.length === 0 && c.kind === 'changed' && a.isCode) explained.push(c.path);
    findings.push(...fired);
  }
  if (input.baseline) {
    const modules = input.changes.filter((c) => c.after?.isCode).length;
    return [
      ...findings.map(asBaseline).filter((f): f is Finding => f !== undefined),
      {
        rule: 'BASELINE',
        severity: ruleSeverity('BASELINE'),
        path: undefined,
        message: `baseline of ${modules} modules at version ${input.toVersion ?? '(unknown)'}`,
        evidence: { version: input.toVersion, modules },
        explained: true,
      },
    ];
  }
  if (explained.length || removed.length) {
    findings.push({
      rule: 'UPDATE_EXPLAINED',
      severity: ruleSeverity('UPDATE_EXPLAINED'),
      path: undefined,
      message: `${explained.length} module(s) changed and ${removed.length} removed, explained by the update ${input.fromVersion ?? '?'} → ${input.toVersion ?? '?'} (same signers, versions moved or none of their own)`,
      evidence: { changed: explained, removed },
      explained: true,
    });
  }
  return findings;
}
