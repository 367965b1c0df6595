// What one alert says, whatever the destination: the update (app, versions, snapshot, host, time), its findings at or
// above the destination's threshold ordered by severity, counts, key evidence and what to do next. Pure.
import { type Finding, type Severity, SEVERITY_ORDER, severityRank } from '../shared/findings.ts';

export interface AlertFinding {
  readonly rule: string;
  readonly severity: Severity;
  readonly path: string | null;
  readonly message: string;
  readonly evidence: Readonly<Record<string, unknown>>;
}

export interface AlertContent {
  readonly host: string;
  readonly app: string;
  readonly fromVersion: string | null;
  readonly toVersion: string | null;
  readonly snapshotId: number;
  /** When the scan that raised these findings started (ISO 8601). */
  readonly time: string;
  /** Most severe first; the order raised within a severity. */
  readonly findings: readonly AlertFinding[];
}

export type SeverityCounts = Record<Severity, number>;

/** The findings an alert carries: unexplained ones at or above `min`, most severe first (stable). */
export function alertFindings(findings: readonly Finding[], min: Severity): AlertFinding[] {
  return findings
    .filter((f) => !f.explained && severityRank(f.severity) >= severityRank(min))
    .map((f) => ({ rule: f.rule, severity: f.severity, path: f.path ?? null, message: f.message, evidence: f.evidence }))
    .sort((a, b) => severityRank(b.severity) - severityRank(a.severity));
}

export function severityCounts(findings: readonly { severity: Severity }[]): SeverityCounts {
  const counts: SeverityCounts = { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
  for (const f of findings) counts[f.severity]++;
  return counts;
}

export function worstSeverity(findings: readonly { severity: Severity }[]): Severity {
  return findings.reduce<Severity>((w, f) => (severityRank(f.severity) > severityRank(w) ? f.severity : w), 'info');
}

/** "ContosoChat 1.2.3 → 1.2.4" (an unknown version is "?"). */
export function updateTitle(c: AlertContent): string {
  return `${c.app} ${c.fromVersion ?? '?'} → ${c.toVersion ?? '?'}`;
}

/** "2 critical, 1 high" — severities with none left out. */
export function countsText(findings: readonly { severity: Severity }[]): string {
  const counts = severityCounts(findings);
  return [...SEVERITY_ORDER].reverse().filter((s) => counts[s] > 0).map((s) => `${counts[s]} ${s}`).join(', ') || 'none';
}

/** "3 findings (1 critical, 2 high) on build-01": what goes under a title that already names the update. */
export function countsLine(c: AlertContent): string {
  const n = c.findings.length;
  return `${n} finding${n === 1 ? '' : 's'} (${countsText(c.findings)}) on ${c.host}`;
}

/** The one-line summary: app, from → to version, counts by severity. */
export function summaryLine(c: AlertContent): string {
  const n = c.findings.length;
  return `sealwatch: ${updateTitle(c)} on ${c.host}: ${n} finding${n === 1 ? '' : 's'} (${countsText(c.findings)})`;
}

/** The command that lists every finding of this app: where a truncated alert sends the reader. */
export function findingsCommand(c: AlertContent): string {
  return `sealwatch findings --app ${/^[\w.@+-]+$/.test(c.app) ? c.app : JSON.stringify(c.app)}`;
}

/** "and N more — `sealwatch findings --app …`" (the wording). */
export function moreText(c: AlertContent, more: number): string {
  return `and ${more} more — \`${findingsCommand(c)}\``;
}

export function nextSteps(c: AlertContent): string {
  return [
    `Hold this update of ${c.app} back (do not roll it out further) until the findings are reviewed.`,
    `Compare the hashes and signers above with the vendor's release and its announcement; treat a signer change or an invalid signature as a possible compromise.`,
    `Review every finding with \`${findingsCommand(c)}\` and record a decision with \`sealwatch review ID --state accepted|dismissed|escalated\`.`,
  ].join(' ');
}

interface Side {
  readonly sha256?: unknown;
  readonly signer?: unknown;
  readonly subject?: unknown;
  readonly status?: unknown;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function signerOf(s: Side | undefined): string | undefined {
  if (!s) return undefined;
  const signer = str(s.signer);
  const subject = str(s.subject);
  return signer && subject && !signer.includes(subject) ? `${signer} (${subject})` : signer ?? subject;
}

/**
 * The evidence a reader needs at a glance, as label/value pairs: content hashes and signers before and after, and
 * the signature status where it moved. Everything else stays in the generic payload and the database.
 */
export function keyEvidence(f: AlertFinding): Array<{ label: string; value: string }> {
  const before = f.evidence.before as Side | undefined;
  const after = f.evidence.after as Side | undefined;
  const out: Array<{ label: string; value: string }> = [];
  const pair = (label: string, b: string | undefined, a: string | undefined): void => {
    if (b === undefined && a === undefined) return;
    if (b !== undefined && a !== undefined && b !== a) out.push({ label, value: `${b} → ${a}` });
    else out.push({ label, value: a ?? b ?? '' });
  };
  pair('sha256', str(before?.sha256), str(after?.sha256));
  pair('signer', signerOf(before), signerOf(after));
  const sb = str(before?.status);
  const sa = str(after?.status);
  if (sb !== sa) pair('signature', sb, sa);
  return out;
}
