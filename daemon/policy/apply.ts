// The policy stage: detection findings + the policies that recognise the app → findings. Pure: no I/O, and time is
// an argument (`at`), never the clock. One precedence (policies/README.md, "Precedence"):
//   1. floors — UNAUTHENTICATED_DATA and SIGNATURE_INVALID are never excepted, explained or put below high;
//   2. an exception in force (rule / path / sha256, before its expiry) → info, explained;
//   3. an allowance (expected signer, co-signer for the module, allowed unsigned) explains the novelty findings of
//      that module (NEW_MODULE, NEW_UNSIGNED_MODULE; SIGNER_CHANGED when both signers are allowed) → info, explained;
//   4. a severity override for the rule (the highest when several policies give one) raises or lowers it;
// and the policy's own findings: UNEXPECTED_SIGNER (a module no policy allows) and EXCEPTION_EXPIRED.
// Nothing is deleted: each finding a policy touched keeps what it was (evidence.policy.from), so `policy test`
// can undo and redo the stage on a stored history.
import { type ModuleChange } from '../diff/diff.ts';
import { type ModuleSummary } from '../diff/summary.ts';
import { RULES, ruleSeverity } from '../detect/rule-table.ts';
import { bySeverityDesc } from '../detect/rules.ts';
import { type Finding, type RuleId, type Severity, severityRank } from '../shared/findings.ts';
import { FLOOR, FLOOR_RULES } from './floors.ts';
import { parseExpiry } from './load.ts';
import { allowance, type AppFacts, modulePatternMatches, recognises, trustedIdentity, withoutSigner } from './match.ts';
import { type Policy, type PolicyException } from './types.ts';

export interface PolicyContext {
  readonly policies: readonly Policy[];
  readonly app: AppFacts;
  /** This scan's changes (every module on a baseline). */
  readonly changes: readonly ModuleChange[];
  readonly baseline: boolean;
  /** When exceptions are judged: the scan's time, or `--at`. */
  readonly at: Date;
}

/** Rules an allowance explains: they say only that a module or its signer is new to the app. */
const NOVELTY: ReadonlySet<RuleId> = new Set<RuleId>(['NEW_MODULE', 'NEW_UNSIGNED_MODULE']);
/** Rules the policy stage itself raises (dropped and raised again when a history is re-evaluated). */
export const POLICY_RULES: ReadonlySet<RuleId> = new Set<RuleId>(['UNEXPECTED_SIGNER', 'EXCEPTION_EXPIRED']);

interface Acted {
  readonly policy: Policy;
  readonly entry: string;
  readonly action: string;
  readonly reason?: string;
}

function acted(f: Finding, to: { severity: Severity; explained: boolean }, by: Acted): Finding {
  const from = { severity: f.severity, explained: f.explained };
  return {
    ...f,
    severity: to.severity,
    explained: to.explained,
    evidence: { ...f.evidence, policy: { file: by.policy.file, policy: by.policy.name, entry: by.entry, action: by.action, ...(by.reason ? { reason: by.reason } : {}), from } },
    policy: { file: by.policy.file, rule: by.entry, action: by.action, ...(by.reason ? { reason: by.reason } : {}) },
  };
}

const inForce = (e: PolicyException, at: Date): boolean => (parseExpiry(e.expires)?.getTime() ?? 0) > at.getTime();

const sha256Of = (f: Finding): string | undefined => {
  const after = f.evidence.after as { sha256?: unknown } | undefined;
  const v = after?.sha256 ?? f.evidence.sha256;
  return typeof v === 'string' ? v.toLowerCase() : undefined;
};

function exceptionMatches(e: PolicyException, f: Finding): boolean {
  if (e.rule !== undefined && e.rule !== f.rule) return false;
  if (e.path !== undefined && (f.path === undefined || !modulePatternMatches(f.path, e.path))) return false;
  if (e.sha256 !== undefined && sha256Of(f) !== e.sha256.toLowerCase()) return false;
  return true;
}

/** The highest override of each rule among the policies, with the policy that gave it. */
function overrides(policies: readonly Policy[]): Map<RuleId, { severity: Severity; policy: Policy }> {
  const out = new Map<RuleId, { severity: Severity; policy: Policy }>();
  for (const policy of policies) {
    for (const [rule, severity] of Object.entries(policy.severity ?? {}) as [RuleId, Severity][]) {
      const had = out.get(rule);
      if (!had || severityRank(severity) > severityRank(had.severity)) out.set(rule, { severity, policy });
    }
  }
  return out;
}

/** A module's allowance, for a change's after (or before) state. */
function allowed(policies: readonly Policy[], path: string, m: ModuleSummary | undefined): ReturnType<typeof allowance> {
  return m ? allowance(policies, path, m) : undefined;
}

function allowanceFor(f: Finding, policies: readonly Policy[], byPath: ReadonlyMap<string, ModuleChange>): Acted | undefined {
  if (f.path === undefined) return undefined;
  const c = byPath.get(f.path);
  if (!c?.after) return undefined;
  const after = allowed(policies, c.path, c.after);
  if (!after) return undefined;
  // The unsigned modules a vendor's releases ship explain one new in an update, not one that came with none (a signed
  // module of an expected signer stays allowed: apps fetch those at run time).
  if (NOVELTY.has(f.rule)) return f.evidence.out_of_band === true && after.action === 'allowed-unsigned' ? undefined : { policy: after.policy, entry: after.entry, action: after.action };
  // A co-signer added beside the same signer is explained only by an allowance of that co-signer for this module.
  const added = f.evidence.co_signers_added;
  if (f.rule === 'SIGNER_CHANGED' && Array.isArray(added)) {
    const now = c.after;
    const each = added.map((id: unknown) => allowed(policies, c.path, { ...now, signer: String(id), signerDn: undefined, signerSubject: undefined, issuer: undefined, leafThumbprint: undefined }));
    const first = each[0];
    return first && each.every(Boolean) ? { policy: first.policy, entry: first.entry, action: first.action, reason: 'the added co-signer is allowed for this module' } : undefined;
  }
  if (f.rule === 'SIGNER_CHANGED' && c.before && trustedIdentity(c.before) && allowed(policies, c.path, c.before)) {
    return { policy: after.policy, entry: after.entry, action: after.action, reason: 'both the old and the new signer are allowed for this module' };
  }
  return undefined;
}

type Override = { severity: Severity; policy: Policy } | undefined;

/** Row 1: a floor rule is only ever raised; an override below the floor stops at it. */
function floored(f: Finding, override: Override): Finding {
  if (!override || override.severity === f.severity) return f;
  const below = severityRank(override.severity) < severityRank(FLOOR);
  const severity = below ? FLOOR : override.severity;
  if (severity === f.severity && !below) return f;
  const entry = `severity.${f.rule}`;
  return acted(f, { severity, explained: false }, below ? { policy: override.policy, entry, action: 'floor', reason: `${f.rule} cannot be lowered below ${FLOOR}` } : { policy: override.policy, entry, action: 'severity' });
}

/** Row 2: the first exception in force that matches. */
function excepted(f: Finding, policies: readonly Policy[], at: Date): Finding | undefined {
  for (const policy of policies) {
    const i = policy.exceptions?.findIndex((e) => inForce(e, at) && exceptionMatches(e, f)) ?? -1;
    const e = policy.exceptions?.[i];
    if (e) return acted(f, { severity: 'info', explained: true }, { policy, entry: `exceptions[${i}]`, action: 'exception', reason: `${e.reason} (owner ${e.owner}, until ${e.expires})` });
  }
  return undefined;
}

/** One finding through the precedence table (README, Policies). */
function judge(f: Finding, ctx: PolicyContext, policies: readonly Policy[], ov: ReturnType<typeof overrides>, byPath: ReadonlyMap<string, ModuleChange>): Finding {
  if (f.explained) return f;
  // A baseline keeps change rules at info: an override does not lift them.
  const override = ctx.baseline && RULES[f.rule].kind !== 'fact' ? undefined : ov.get(f.rule);
  if (FLOOR_RULES.has(f.rule)) return floored(f, override);
  const exception = excepted(f, policies, ctx.at);
  if (exception) return exception;
  const allowedBy = allowanceFor(f, policies, byPath);
  if (allowedBy) return acted(f, { severity: 'info', explained: true }, allowedBy);
  if (override && override.severity !== f.severity) return acted(f, { severity: override.severity, explained: false }, { policy: override.policy, entry: `severity.${f.rule}`, action: 'severity' });
  return f;
}

function describeSigner(m: ModuleSummary): string {
  const id = trustedIdentity(m);
  if (id) return `signed by ${id.organization ?? id.subject ?? '?'}${id.teamId ? ` (Team ID ${id.teamId})` : ''}${id.issuer ? ` ← ${id.issuer}` : ''}`;
  if (withoutSigner(m)) return m.signer === '' ? 'unsigned' : `${m.signer} (no signer identity)`;
  return `signed without a trusted chain (${m.status}${m.signer.startsWith('untrusted:') && m.signer.length > 10 ? `, claiming ${m.signer.slice(10)}` : ''}), so its signer counts as no one`;
}

/** UNEXPECTED_SIGNER for each new or changed module that no policy allows, when a policy names expected signers. */
function unexpectedSigners(ctx: PolicyContext, policies: readonly Policy[]): Finding[] {
  const constraining = policies.filter((p) => p.signers !== undefined);
  const first = constraining[0];
  if (!first) return [];
  const names = constraining.map((p) => p.name).join(', ');
  const out: Finding[] = [];
  for (const c of ctx.changes) {
    const m = c.after;
    if (c.kind === 'removed' || !m?.isCode || m.state !== 'file' || allowance(policies, c.path, m)) continue;
    out.push({
      rule: 'UNEXPECTED_SIGNER',
      severity: ruleSeverity('UNEXPECTED_SIGNER'),
      path: c.path,
      message: `${c.path}: ${describeSigner(m)} — policy ${names} does not allow it for this module`,
      evidence: {
        sha256: m.sha256,
        status: m.status,
        signer: m.signer || '(unsigned)',
        subject: m.signerSubject,
        issuer: m.issuer,
        thumbprint: m.leafThumbprint,
        expected: constraining.flatMap((p) => (p.signers ?? []).map(({ observed: _o, ...s }) => s)),
        policies: constraining.map((p) => p.file),
        policy: { file: first.file, policy: first.name, entry: 'signers', action: 'raised' },
      },
      explained: false,
      policy: { file: first.file, rule: 'signers', action: 'raised' },
    });
  }
  return out;
}

function expiredExceptions(ctx: PolicyContext, policies: readonly Policy[]): Finding[] {
  const out: Finding[] = [];
  for (const policy of policies) {
    for (const [i, e] of (policy.exceptions ?? []).entries()) {
      if (inForce(e, ctx.at)) continue;
      const what = [e.rule, e.path, e.sha256].filter((x) => x !== undefined).join(' ');
      out.push({
        rule: 'EXCEPTION_EXPIRED',
        severity: ruleSeverity('EXCEPTION_EXPIRED'),
        path: e.path,
        message: `policy ${policy.name}: the exception for ${what} (owner ${e.owner}: ${e.reason}) expired on ${e.expires} and no longer applies`,
        evidence: { exception: i, rule: e.rule, path: e.path, sha256: e.sha256, owner: e.owner, reason: e.reason, expires: e.expires, at: ctx.at.toISOString(), policy: { file: policy.file, policy: policy.name, entry: `exceptions[${i}]`, action: 'expired' } },
        explained: false,
        policy: { file: policy.file, rule: `exceptions[${i}]`, action: 'expired' },
      });
    }
  }
  return out;
}

/** The policies that recognise this app. */
export const policiesFor = (policies: readonly Policy[], app: AppFacts): Policy[] => policies.filter((p) => recognises(p, app));

export function applyPolicies(findings: readonly Finding[], ctx: PolicyContext): Finding[] {
  const policies = policiesFor(ctx.policies, ctx.app);
  if (policies.length === 0) return [...findings];
  const ov = overrides(policies);
  const byPath = new Map(ctx.changes.map((c) => [c.path, c]));
  const raised = [...findings, ...unexpectedSigners(ctx, policies)].map((f) => judge(f, ctx, policies, ov, byPath));
  return bySeverityDesc([...raised, ...expiredExceptions(ctx, policies)]);
}

/** The findings as detection left them: the policy's own findings dropped, every touched finding restored. */
export function withoutPolicies(findings: readonly Finding[]): Finding[] {
  return findings
    .filter((f) => !POLICY_RULES.has(f.rule))
    .map((f) => {
      const p = f.evidence.policy as { from?: { severity: Severity; explained: boolean } } | undefined;
      if (!p?.from) return f;
      const { policy: _p, ...evidence } = f.evidence;
      const { policy: _q, ...rest } = f;
      return { ...rest, severity: p.from.severity, explained: p.from.explained, evidence };
    });
}
