// Who signed a module, in the one form every stage compares — and how much that claim is worth.
// An identity (organisation, subject, Apple Team ID) counts only when it comes from a chain that is trusted: anyone can
// make a certificate whose subject says O=Microsoft Corporation, and any ad-hoc signer can write any team identifier
// into a CodeDirectory. So:
// - signerIdentity: `team:<Team ID>` from a trusted Apple slice (its certificate-backed CodeDirectory; the verifier
//   checked that the leaf OU matches), else `org:<organisation or name>` from a trusted signature; an untrusted
//   signature gives `untrusted:<what it claims>`; "adhoc" / "linker-signed" for Apple code without identity; "" when
//   unsigned.
// - untrustedClaims: what signatures that are not trusted say (to name impostors).
// - standing: the file's signature state, weakest slice first for universal binaries (macOS checks every slice).
import { type ModuleRecord, type SignatureRecord, type SignatureStatus } from './model.ts';

export type Standing = SignatureStatus;

/** Higher is better. A drop in rank between two versions of a module is a finding of its own. */
export const STANDING_RANK: Readonly<Record<Standing, number>> = { invalid: 0, unsigned: 1, adhoc: 2, 'linker-signed': 2, untrusted: 3, trusted: 4 };

const slicesOf = (r: ModuleRecord): readonly SignatureRecord[] => r.code_signature.signatures.filter((s) => s.kind === 'slice');

/**
 * Organisation values that name a kind of certificate, not an organisation: Certum's open-source code-signing
 * certificates all say O=Open Source Developer, with the person in CN ("Open Source Developer, Martijn Laan" —
 * Inno Setup in the generalisation corpus). For those the CN tells signers apart.
 */
const GENERIC_ORGANISATIONS = new Set(['open source developer']);

const nameOf = (s: SignatureRecord | undefined): string | undefined => {
  const org = s?.organization;
  // The person's name without the certificate kind Certum prefixes to it: Inno Setup's 2016 certificate said
  // O=Martijn Laan, its 2020 and 2021 ones O=Open Source Developer, CN=Open Source Developer, Martijn Laan — one signer.
  if (org && GENERIC_ORGANISATIONS.has(org.trim().toLowerCase()) && s?.subject_name) return s.subject_name.replace(/^\s*open source developer\s*,\s*/i, '') || s.subject_name;
  return org ?? s?.subject_name;
};

/** The identity a signature record claims, trusted or not. */
function claimOf(s: SignatureRecord | undefined): string {
  if (!s) return '';
  if (s.team_id) return `team:${s.team_id}`;
  const name = nameOf(s);
  return name ? `org:${name}` : '';
}

export function signerIdentity(r: ModuleRecord): string {
  const cs = r.code_signature;
  if (!cs.exists || cs.status === 'unsigned') return '';
  const slices = slicesOf(r);
  if (slices.length > 0) {
    const trusted = slices.find((s) => s.status === 'trusted');
    if (trusted) return claimOf(trusted) || 'untrusted:';
    const signed = slices.find((s) => s.status === 'untrusted');
    if (signed) return `untrusted:${claimOf(signed)}`;
    return cs.status === 'adhoc' || cs.status === 'linker-signed' ? cs.status : slices.some((s) => s.status === 'adhoc') ? 'adhoc' : 'linker-signed';
  }
  const trusted = cs.signatures.find((s) => s.trusted);
  if (trusted) return claimOf(trusted) || 'untrusted:';
  const valid = cs.signatures.find((s) => s.valid) ?? cs.signatures[0];
  return `untrusted:${claimOf(valid)}`;
}

/**
 * The other trusted identities signing a PE beside its signer: nested signatures (signtool /as) of another
 * organisation. Anyone can add one without breaking the outer signature, so a new one is a new signer of the module.
 * Catalog signers are not the file's own; Apple slices have one signer each (compared as slices).
 */
export function coSigners(r: ModuleRecord): string[] {
  const own = signerIdentity(r);
  const ids = r.code_signature.signatures.filter((s) => (s.kind === 'embedded' || s.kind === 'nested') && s.trusted).map(claimOf);
  return [...new Set(ids.filter((id) => id !== '' && id !== own))].sort();
}

/**
 * Trust problems that leave the identity established: the chain reaches a trusted root, but the certificate is not
 * valid at the judged time (expired, its timestamp's TSA not trusted for time stamping) or the root is not trusted for
 * the purpose. A CA vouched for the name; only the signature's standing is weaker. Every other trust problem (unknown
 * root, incomplete chain, a certificate its named issuer did not sign, …) leaves the name unproven.
 */
export const TIME_OR_PURPOSE_PROBLEMS: ReadonlySet<string> = new Set(['CERT_EXPIRED', 'CERT_NOT_YET_VALID', 'LIFETIME_SIGNING_EXPIRED', 'ROOT_NOT_TRUSTED_FOR_PURPOSE']);

/** Trust problem codes of one signature (by its index/label). */
function trustProblemsOf(r: ModuleRecord, s: SignatureRecord): string[] {
  return r.code_signature.problems.filter((p) => p.severity === 'trust' && p.signature === s.index).map((p) => p.code);
}

/** An untrusted signature whose chain reaches a trusted root: only time or purpose keeps it from being trusted. */
export function identityEstablished(r: ModuleRecord, s: SignatureRecord): boolean {
  const codes = trustProblemsOf(r, s);
  return s.valid && codes.length > 0 && codes.every((c) => TIME_OR_PURPOSE_PROBLEMS.has(c));
}

/** The file's untrusted signatures all have an established identity (same signer, expired or out of purpose). */
export function untrustedOnlyByTime(r: ModuleRecord): boolean {
  const sigs = r.code_signature.signatures.filter((s) => !s.trusted && s.valid);
  return sigs.length > 0 && sigs.every((s) => identityEstablished(r, s));
}

/**
 * Identities named by signatures that are not trusted: every slice that is not trusted (a universal binary with one
 * genuine slice and one ad-hoc slice naming the same Team ID), or every signature of a PE that is not trusted.
 */
export function untrustedClaims(r: ModuleRecord): string[] {
  const slices = slicesOf(r);
  const untrusted = slices.length > 0 ? slices.filter((s) => s.status !== 'trusted') : r.code_signature.trusted ? [] : r.code_signature.signatures;
  // An expired certificate of a real CA still proves the name: that is a downgrade, not an impostor.
  return [...new Set(untrusted.filter((s) => !identityEstablished(r, s)).map(claimOf).filter((c) => c !== ''))];
}

/** Per slice (by architecture) for Mach-O, else one entry for the file. */
export function sliceStandings(r: ModuleRecord): Record<string, Standing> {
  const out: Record<string, Standing> = {};
  const unsignedArchs = new Set(r.macho?.slices.map((s) => s.arch) ?? []);
  for (const s of slicesOf(r)) {
    const arch = s.arch ?? s.index;
    out[arch] = (s.status as Standing | undefined) ?? 'invalid';
    unsignedArchs.delete(arch);
  }
  for (const arch of unsignedArchs) out[arch] = 'unsigned';
  return out;
}
