// How a rule states what it found: the finding, with the module before and after as evidence.
import { type ModuleChange } from '../diff/diff.ts';
import { type ModuleSummary } from '../diff/summary.ts';
import { type Finding, type RuleId } from '../shared/findings.ts';
import { ruleSeverity } from './rule-table.ts';

export const STATE_WORDS: Readonly<Record<ModuleSummary['state'], string>> = {
  file: 'a file',
  symlink: 'a symbolic link',
  'link-out-of-root': 'a symbolic link out of the app root',
  special: 'a FIFO, socket or device',
  unreadable: 'something that cannot be read',
};

export const evidenceOf = (m: ModuleSummary | undefined): Record<string, unknown> | undefined =>
  m && {
    sha256: m.sha256,
    signer: m.signer || '(unsigned)',
    subject: m.signerSubject,
    issuer: m.issuer,
    status: m.status,
    version: m.ownVersion,
    signed_at: m.signedAt,
    // per slice for universal binaries (a downgraded arm64 slice shows here), and what the build says the file is
    ...(Object.keys(m.sliceStandings ?? {}).length > 1 ? { slices: m.sliceStandings } : {}),
    ...(m.originalName ? { original_name: m.originalName } : {}),
    ...(m.state !== 'file' ? { state: m.state, detail: m.detail } : {}),
  };

export function finding(rule: RuleId, c: ModuleChange | undefined, message: string, extra: Record<string, unknown> = {}, variant?: string): Finding {
  return {
    rule,
    severity: ruleSeverity(rule, variant),
    path: c?.path,
    message,
    evidence: { ...(c ? { change: c.kind, fields: c.fields, before: evidenceOf(c.before), after: evidenceOf(c.after) } : {}), ...extra },
    explained: false,
  };
}
