// Policy files: YAML read with node positions, validated against policies/policy.schema.json (ajv), then checked
// for what a schema cannot say (rule ids that exist, dates on the calendar, names unique across files). Every
// problem names the file, the line, the field and the reason; `policy lint` prints them, a scan refuses to start.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { RULES } from '../detect/rule-table.ts';
import { errorMessage, SealwatchError } from '../shared/errors.ts';
import { assetPath } from '../shared/assets.ts';
import { severityRank, type RuleId } from '../shared/findings.ts';
import { breadthWarnings } from './breadth.ts';
import { FLOOR, FLOOR_RULES } from './floors.ts';
import { validate as validatePolicy } from './policy-validator.gen.ts';
import { formatProblem, type Policy, type PolicyProblem } from './types.ts';
import { policyFiles } from './files.ts';

export const POLICY_SCHEMA_FILE = assetPath('policies', 'policy.schema.json');
/** The shipped policies: applied to every scan (each recognises its own apps). */
export const SHIPPED_POLICIES = assetPath('policies');

type Segment = string | number;

// The schema compiled ahead of time (ajv standalone, scripts/policy-validator.ts; test/policy/validator.test.ts keeps
// it in step with POLICY_SCHEMA_FILE): loading policies compiles nothing and loads no ajv.
function validator(): ValidateFunction {
  return validatePolicy as unknown as ValidateFunction;
}

/** rules[0].path */
export function fieldPath(path: readonly Segment[]): string {
  if (path.length === 0) return '(top level)';
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

/** The line of the deepest node that exists on the path (a missing field is reported at its parent). */
function lineOf(doc: Document, counter: LineCounter, path: readonly Segment[], key = false): number {
  if (key && path.length > 0) {
    // A map key (an unknown field, a rule id): the line of the key itself.
    const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
    const pair = (parent as { items?: Array<{ key?: { value?: unknown; range?: [number, number, number] } }> } | null)?.items?.find((p) => p.key?.value === path.at(-1));
    if (pair?.key?.range) return counter.linePos(pair.key.range[0]).line;
  }
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    if (range) return counter.linePos(range[0]).line;
  }
  // An empty file has no node at all: its problems are on its first line.
  return 1;
}

function schemaProblem(file: string, e: ErrorObject, at: (path: readonly Segment[], key?: boolean) => number | undefined): PolicyProblem {
  const path: Segment[] = e.instancePath.split('/').slice(1).map((s) => (/^\d+$/.test(s) ? Number(s) : s.replace(/~1/g, '/').replace(/~0/g, '~')));
  const p = e.params as Record<string, unknown>;
  let reason = e.message ?? 'invalid';
  let key = false;
  if (e.keyword === 'additionalProperties') {
    path.push(String(p.additionalProperty));
    key = true;
    const props = (e.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties;
    reason = `unknown field${props ? ` (known: ${Object.keys(props).join(', ')})` : ''}`;
  } else if (e.keyword === 'required') (path.push(String(p.missingProperty)), (reason = 'is required'));
  else if (e.keyword === 'enum') reason = `must be one of ${(p.allowedValues as unknown[]).join(', ')}`;
  else if (e.keyword === 'propertyNames') (path.push(String(p.propertyName)), (key = true), (reason = 'not a rule id (upper case, like NEW_MODULE)'));
  else if (e.keyword === 'anyOf') reason = anyOfReason(e);
  else if (e.keyword === 'minProperties') reason = 'must not be empty';
  else if (e.keyword === 'pattern') reason = patternReason(path);
  return { level: 'error', file, line: at(path, key), field: fieldPath(path), reason };
}

/** Which fields an anyOf wants: an exception's scope, or a signer's identity (`observed` alone would match anyone). */
function anyOfReason(e: ErrorObject): string {
  const props = (e.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {};
  if ('organization' in props) return 'give at least one of organization, subject, team_id, issuer or thumbprints (observed is provenance: alone it would match every signer)';
  return 'give at least one of rule, path or sha256';
}

function patternReason(path: readonly Segment[]): string {
  const last = path.at(-2) === 'thumbprints' ? 'thumbprints' : String(path.at(-1));
  const reasons: Record<string, string> = {
    team_id: 'must be an Apple Team ID: 10 characters, A–Z and 0–9',
    thumbprints: 'must be a SHA-256: 64 hex digits',
    sha256: 'must be a SHA-256: 64 hex digits',
    expires: 'must be an ISO 8601 date (2026-12-31) or date-time',
    rule: 'not a rule id (upper case, like NEW_MODULE)',
    name: 'must be letters, digits, ".", "_" or "-", starting with a letter or digit',
  };
  return reasons[last] ?? 'does not have the required form';
}

/** An ISO date that is on the calendar (2026-02-30 is not), as a time; undefined when it is not one. */
export function parseExpiry(text: string): Date | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(T.*)?$/.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, rest] = m;
  const day = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (day.getUTCFullYear() !== Number(y) || day.getUTCMonth() !== Number(mo) - 1 || day.getUTCDate() !== Number(d)) return undefined;
  if (!rest) return day;
  const t = new Date(/Z|[+-]\d{2}:\d{2}$/.test(rest) ? text : `${text}Z`);
  return Number.isNaN(t.getTime()) ? undefined : t;
}

/** What the schema cannot say: rule ids that exist, dates on the calendar, floors a policy cannot lower. */
function semanticProblems(file: string, policy: Policy, at: (path: readonly Segment[], key?: boolean) => number | undefined): PolicyProblem[] {
  const out: PolicyProblem[] = [];
  const problem = (level: PolicyProblem['level'], path: Segment[], reason: string, key = false): void => void out.push({ level, file, line: at(path, key), field: fieldPath(path), reason });
  for (const [rule, severity] of Object.entries(policy.severity ?? {})) {
    if (!(rule in RULES)) problem('error', ['severity', rule], `unknown rule ${rule} (rules: README, Detection rules)`, true);
    else if (FLOOR_RULES.has(rule as RuleId) && severityRank(severity) < severityRank(FLOOR)) problem('warning', ['severity', rule], `${rule} cannot be lowered below ${FLOOR}: it stays at ${FLOOR}`);
  }
  for (const [i, e] of (policy.exceptions ?? []).entries()) {
    if (e.rule !== undefined && !(e.rule in RULES)) problem('error', ['exceptions', i, 'rule'], `unknown rule ${e.rule} (rules: README, Detection rules)`);
    if (e.rule !== undefined && FLOOR_RULES.has(e.rule)) problem('warning', ['exceptions', i, 'rule'], `${e.rule} cannot be excepted: the exception never applies to it`);
    if (parseExpiry(e.expires) === undefined) problem('error', ['exceptions', i, 'expires'], `${JSON.stringify(e.expires)} is not a date on the calendar`);
  }
  for (const w of breadthWarnings(policy)) problem('warning', w.path, w.reason);
  return out;
}

/** One policy file: the policy when it has no errors, and every problem found. */
export function readPolicyText(file: string, text: string): { policy: Policy | undefined; problems: PolicyProblem[] } {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    return { policy: undefined, problems: doc.errors.map((e) => ({ level: 'error', file, line: counter.linePos(e.pos[0]).line, field: '(YAML)', reason: `not valid YAML: ${e.message.split('\n')[0] ?? ''}` })) };
  }
  const at = (path: readonly Segment[], key?: boolean): number | undefined => lineOf(doc, counter, path, key);
  const data = doc.toJS({ maxAliasCount: 100 }) as unknown;
  const validate = validator();
  if (!validate(data ?? null)) {
    const seen = new Set<string>();
    const problems: PolicyProblem[] = [];
    const misspelt = new Set((validate.errors ?? []).filter((e) => e.keyword === 'additionalProperties').map((e) => e.instancePath));
    for (const e of validate.errors ?? []) {
      // anyOf reports each branch's `required` beside its own summary: the summary says it better.
      if (e.keyword === 'required' && /\/anyOf\//.test(e.schemaPath)) continue;
      // A signer whose only field is misspelt ("organisation"): the unknown field says what is wrong.
      if (e.keyword === 'anyOf' && misspelt.has(e.instancePath)) continue;
      // A key's own errors come with the propertyNames error that names the key.
      if ((e as { propertyName?: string }).propertyName !== undefined) continue;
      const p = schemaProblem(file, e, at);
      const k = `${p.line}|${p.field}|${p.reason}`;
      if (!seen.has(k)) (seen.add(k), problems.push(p));
    }
    return { policy: undefined, problems };
  }
  const policy = { ...(data as Omit<Policy, 'file'>), file };
  const problems = semanticProblems(file, policy, at);
  return { policy: problems.some((p) => p.level === 'error') ? undefined : policy, problems };
}

export interface LoadedPolicies {
  readonly policies: readonly Policy[];
  readonly problems: readonly PolicyProblem[];
}

/** Every policy under these files and directories; names must be unique across all of them. */
export function loadPolicies(paths: readonly string[]): LoadedPolicies {
  const policies: Policy[] = [];
  const problems: PolicyProblem[] = [];
  const names = new Map<string, string>();
  const seenFiles = new Set<string>();
  for (const given of paths) {
    let files: string[];
    try {
      files = policyFiles(resolve(given));
    } catch (err) {
      problems.push({ level: 'error', file: resolve(given), line: undefined, field: '(file)', reason: `cannot be read: ${errorMessage(err)}` });
      continue;
    }
    for (const file of files) {
      if (seenFiles.has(file)) continue;
      seenFiles.add(file);
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        problems.push({ level: 'error', file, line: undefined, field: '(file)', reason: `cannot be read: ${errorMessage(err)}` });
        continue;
      }
      const r = readPolicyText(file, text);
      problems.push(...r.problems);
      if (!r.policy) continue;
      const other = names.get(r.policy.name);
      if (other) {
        const counter = new LineCounter();
        const doc = parseDocument(text, { lineCounter: counter });
        problems.push({ level: 'error', file, line: lineOf(doc, counter, ['name']), field: 'name', reason: `policy ${r.policy.name} is also defined in ${other}` });
        continue;
      }
      names.set(r.policy.name, file);
      policies.push(r.policy);
    }
  }
  return { policies, problems };
}

/**
 * The shipped policies and these. Every problem is reported (one line each, FILE:LINE: level: FIELD: REASON); any
 * error is then a CONFIG error (exit 2): nothing is judged under a policy that does not say what it was meant to.
 */
export function policiesOrFail(paths: readonly string[], report: (line: string) => void): readonly Policy[] {
  const { policies, problems } = loadPolicies([SHIPPED_POLICIES, ...paths]);
  for (const p of problems) report(formatProblem(p));
  const errors = problems.filter((p) => p.level === 'error');
  if (errors.length) throw new SealwatchError('CONFIG', `${errors.length} policy error${errors.length === 1 ? '' : 's'} (above): nothing was scanned or judged`, { file: errors[0]?.file ?? '' });
  return policies;
}
