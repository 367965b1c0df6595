// Which policies recognise an app, which module patterns cover a path, and whether a module's signature is one a
// policy names. An identity counts only from a trusted chain (shared/signer.ts): a self-made certificate saying
// O=Microsoft Corporation, or an ad-hoc CodeDirectory naming a Team ID, matches no signer.
import { Minimatch } from 'minimatch';
import { type ModuleSummary } from '../diff/summary.ts';
import { type Policy, type SignerSpec } from './types.ts';

/** What recognises an app: its name, its root, its root bundle's identifier, the trusted signers of its modules. */
export interface AppFacts {
  readonly name: string;
  /** Absolute, `/` separators. */
  readonly root: string;
  readonly bundleId?: string | undefined;
  /** Organisations and Apple Team IDs that sign at least one module with a trusted chain. */
  readonly publishers: ReadonlySet<string>;
}

const GLOB = { nocase: true, dot: true } as const;

// Patterns come from the policies (few), paths from the scan (every module of a baseline, several checks each):
// compiled once, not on every match (minimatch() compiles its pattern on each call, ~8x the cost of a match).
const globs = new Map<string, Minimatch>();
function glob(pattern: string, matchBase: boolean): Minimatch {
  const key = `${matchBase ? 'b' : 'p'}${pattern}`;
  let m = globs.get(key);
  if (!m) globs.set(key, (m = new Minimatch(pattern, { ...GLOB, matchBase })));
  return m;
}

/** A module pattern: without a slash it matches the file name anywhere (`vcruntime*.dll`), else the whole path. */
export const modulePatternMatches = (path: string, pattern: string): boolean => glob(pattern, true).match(path);

const anyOf = (patterns: readonly string[] | undefined, test: (p: string) => boolean): boolean => patterns === undefined || patterns.some(test);

/** Every criterion given must hold; a list holds when any entry does. */
export function recognises(policy: Policy, app: AppFacts): boolean {
  const m = policy.match;
  const root = app.root.replace(/\\/g, '/').replace(/\/+$/, '');
  return (
    anyOf(m.apps, (p) => glob(p, false).match(app.name)) &&
    anyOf(m.paths, (p) => glob(p.replace(/\/+$/, ''), false).match(root)) &&
    anyOf(m.bundle_ids, (id) => app.bundleId === id) &&
    anyOf(m.publishers, (p) => app.publishers.has(p))
  );
}

/** `*` any run of characters, `?` one; case-insensitive. For certificate names, which may hold `/` and `,`. */
export function namePatternMatches(value: string | undefined, pattern: string): boolean {
  if (value === undefined) return false;
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 'i').test(value);
}

/** The signer as a policy may name it, only when the module's signature chains to a trusted root. */
export interface TrustedIdentity {
  readonly organization: string | undefined;
  readonly teamId: string | undefined;
  readonly subject: string | undefined;
  readonly issuer: string | undefined;
  readonly thumbprint: string | undefined;
}

/** O= of a distinguished name ("CN=…, OU=…, O=Microsoft Corporation, C=US"). */
function organizationOf(dn: string | undefined): string | undefined {
  const m = dn ? /(?:^|,\s*|\/)O=((?:\\,|[^,/])+)/.exec(dn) : null;
  return m?.[1]?.replace(/\\,/g, ',').trim();
}

/**
 * A trusted signature's identity — or that of a signature whose chain reaches a trusted root and fails only on time or
 * purpose (an expired leaf without a timestamp: summary.untrustedByTime), since a CA still vouched for the name;
 * detection reports the weaker standing itself (SIGNATURE_DOWNGRADED). Any other untrusted signature proves nothing.
 */
export function trustedIdentity(m: ModuleSummary): TrustedIdentity | undefined {
  const signer = m.signer.startsWith('untrusted:') && m.untrustedByTime === true ? m.signer.slice('untrusted:'.length) : m.signer;
  if (!signer.startsWith('org:') && !signer.startsWith('team:')) return undefined;
  const org = signer.startsWith('org:') ? signer.slice(4) : organizationOf(m.signerDn);
  return {
    organization: org,
    teamId: signer.startsWith('team:') ? signer.slice(5) : undefined,
    subject: m.signerSubject,
    issuer: m.issuer,
    thumbprint: m.leafThumbprint?.toLowerCase(),
  };
}

export function signerMatches(id: TrustedIdentity, spec: SignerSpec): boolean {
  // A spec that names no identity (only `observed`) matches no one: the schema refuses it; this holds without it.
  if (spec.organization === undefined && spec.team_id === undefined && spec.subject === undefined && spec.issuer === undefined && spec.thumbprints === undefined) return false;
  if (spec.organization !== undefined && id.organization !== spec.organization) return false;
  if (spec.team_id !== undefined && id.teamId !== spec.team_id) return false;
  if (spec.subject !== undefined && !namePatternMatches(id.subject, spec.subject)) return false;
  if (spec.issuer !== undefined && !namePatternMatches(id.issuer, spec.issuer)) return false;
  if (spec.thumbprints !== undefined && !spec.thumbprints.some((t) => t.toLowerCase() === id.thumbprint)) return false;
  return true;
}

/** Signed by no one that claims an identity: unsigned, ad-hoc or linker-signed (an untrusted signature claims one). */
export const withoutSigner = (m: ModuleSummary): boolean => m.signer === '' || m.signer === 'adhoc' || m.signer === 'linker-signed';

/** How a policy allows a module, or undefined. */
export interface Allowance {
  readonly policy: Policy;
  readonly entry: string;
  readonly action: 'expected-signer' | 'co-signer' | 'allowed-unsigned';
}

export function allowance(policies: readonly Policy[], path: string, m: ModuleSummary): Allowance | undefined {
  const id = trustedIdentity(m);
  for (const policy of policies) {
    if (id) {
      const i = policy.signers?.findIndex((s) => signerMatches(id, s)) ?? -1;
      if (i >= 0) return { policy, entry: `signers[${i}]`, action: 'expected-signer' };
      const j = policy.co_signers?.findIndex((c) => c.modules.some((p) => modulePatternMatches(path, p)) && c.signers.some((s) => signerMatches(id, s))) ?? -1;
      if (j >= 0) return { policy, entry: `co_signers[${j}]`, action: 'co-signer' };
    } else if (withoutSigner(m)) {
      const k = policy.unsigned?.findIndex((p) => modulePatternMatches(path, p)) ?? -1;
      if (k >= 0) return { policy, entry: `unsigned[${k}]`, action: 'allowed-unsigned' };
    }
  }
  return undefined;
}
