// Lint warnings for policies that allow far more than their author can have meant: a pattern that matches
// everything, a signer any trusted certificate satisfies, an exception for every finding, an impostor alarm turned
// down, and patterns that can never match as written. The policy still loads (these are warnings): each of them is
// legal, and each is how an attacker's module would pass as expected.
import { type RuleId, severityRank } from '../shared/findings.ts';
import { type Policy, type SignerSpec } from './types.ts';

type Segment = string | number;
export interface BreadthWarning {
  readonly path: Segment[];
  readonly reason: string;
}

/** Nothing but wildcards and separators: matches every name. */
const matchesAll = (pattern: string): boolean => /^[*?/]+$/.test(pattern);
const GLOB = /[*?[\]{}]/;

/** Alarms about who signed a module or what vouches for it: below high they no longer reach anyone. */
const IMPOSTOR_RULES: ReadonlySet<RuleId> = new Set<RuleId>(['SIGNER_IMPOSTOR', 'SIGNATURE_DOWNGRADED', 'MANIFEST_MISMATCH', 'MANIFEST_INVALID']);

function signerWarnings(spec: SignerSpec, at: Segment[]): BreadthWarning[] {
  const out: BreadthWarning[] = [];
  const pinned = spec.organization !== undefined || spec.team_id !== undefined || spec.thumbprints !== undefined;
  const named = [spec.subject, spec.issuer].some((v) => v !== undefined && !matchesAll(v));
  if (!pinned && !named) {
    const field = spec.subject !== undefined ? 'subject' : 'issuer';
    out.push({ path: [...at, field], reason: `"${spec[field] ?? ''}" matches every ${field}: any trusted signer at all is allowed — name the organization, Team ID or thumbprints` });
  }
  if (spec.organization !== undefined && GLOB.test(spec.organization)) out.push({ path: [...at, 'organization'], reason: `organization is compared exactly, not as a glob: "${spec.organization}" matches only a certificate whose O= is literally that` });
  return out;
}

function patternWarnings(patterns: readonly string[] | undefined, at: Segment[], what: string): BreadthWarning[] {
  const out: BreadthWarning[] = [];
  (patterns ?? []).forEach((p, i) => {
    if (matchesAll(p)) out.push({ path: [...at, i], reason: `"${p}" matches every ${what}` });
    // A backslash before a glob character is an escape (policy suggest writes `Foo \(x64\)`); before anything else it
    // is a Windows separator that makes the pattern match nothing.
    else if (/\\[^*?[\]{}()!+@\\]/.test(p)) out.push({ path: [...at, i], reason: `"${p}": a backslash escapes the next character in a glob, so this never matches a Windows path — write / separators (C:/Program Files/…)` });
  });
  return out;
}

export function breadthWarnings(policy: Policy): BreadthWarning[] {
  const out: BreadthWarning[] = [];
  out.push(...patternWarnings(policy.match.apps, ['match', 'apps'], 'app: this policy applies to all of them'));
  out.push(...patternWarnings(policy.match.paths, ['match', 'paths'], 'app root: this policy applies to every app'));
  out.push(...patternWarnings(policy.unsigned, ['unsigned'], 'module: any module may be unsigned, a dropped-in one too'));
  (policy.signers ?? []).forEach((s, i) => out.push(...signerWarnings(s, ['signers', i])));
  (policy.co_signers ?? []).forEach((c, i) => {
    out.push(...patternWarnings(c.modules, ['co_signers', i, 'modules'], 'module: these signers are expected signers of the whole app'));
    c.signers.forEach((s, j) => out.push(...signerWarnings(s, ['co_signers', i, 'signers', j])));
  });
  for (const [rule, severity] of Object.entries(policy.severity ?? {})) {
    if (IMPOSTOR_RULES.has(rule as RuleId) && severity && severityRank(severity) < severityRank('high')) out.push({ path: ['severity', rule], reason: `${rule} lowered to ${severity}: it reports a module signed by someone posing as the vendor, or one a manifest does not vouch for — an attack would pass as ${severity}` });
  }
  (policy.exceptions ?? []).forEach((e, i) => {
    if (e.rule === undefined && e.sha256 === undefined && e.path !== undefined && matchesAll(e.path)) out.push({ path: ['exceptions', i, 'path'], reason: `"${e.path}" with no rule or sha256 excepts every finding of the app until ${e.expires}` });
    if (e.rule !== undefined && IMPOSTOR_RULES.has(e.rule as RuleId) && e.sha256 === undefined) out.push({ path: ['exceptions', i, 'rule'], reason: `an exception for ${e.rule} without a sha256 excepts an impostor too: pin the file's content` });
  });
  return out;
}
