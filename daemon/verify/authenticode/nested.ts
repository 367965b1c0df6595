// A signature nested in another's unsigned attributes (signtool /as) is not covered by the signature it sits in:
// anyone can add one to a signed file without breaking that signature, and whatever it carries — its own signed
// attributes (a program name of any length), certificates, further attributes — rides along in bytes the file's
// signer never vouched for, as the 3CX payload did in d3dcompiler_47.dll's certificate table. A nested signature
// vouches for its own bytes only when it is intact and trusted — or, when it is the outer signer's own (the same
// organisation), trusted but for time or purpose (an expired SHA-1 certificate beside its SHA-256 successor): an
// expired certificate of someone else is what leaks. Genuine files are dual-signed that way, by the same publisher or
// by another whose signature is trusted (Inno Setup 6.0.5: Martijn Laan, then Korton Group B.V.); a signature of
// another publisher larger than any signature needs is room for a payload all the same. The rest is hidden data.
import { TIME_OR_PURPOSE_PROBLEMS } from '../../shared/signer.ts';
import { problem, type Problem } from '../problems.ts';
import type { AuthenticodeSignature } from './signature.ts';

/** Trusted but for time or purpose: the chain reaches a trusted root, only the judged time or the purpose fails. */
function trustedButForTime(s: AuthenticodeSignature): boolean {
  const trust = s.problems.filter((p) => p.signature === s.label && p.severity === 'trust');
  return s.valid && trust.length > 0 && trust.every((p) => TIME_OR_PURPOSE_PROBLEMS.has(p.code));
}

/** Organisation, else common name, as compared between two signers (case and spacing aside). */
function organisationOf(s: AuthenticodeSignature): string | undefined {
  const f = s.signer?.subjectFields;
  return (f?.organization ?? f?.commonName)?.trim().replace(/\s+/g, ' ').toLowerCase();
}

/** Larger than a signature with its chain and timestamps ever is (the size bound of unsigned attributes). */
const OVERSIZED_NESTED = 64 * 1024;

/**
 * The problem (on the outer signature) for a nested signature of `size` bytes that nothing vouches for, or
 * undefined. Only asked when the outer signature proves its own identity: an outer signature that does not is
 * already the file's weak point.
 */
export function unvouchedNested(outer: AuthenticodeSignature, nested: AuthenticodeSignature, size: number): Problem | undefined {
  if (!(outer.trusted || trustedButForTime(outer))) return undefined;
  const own = organisationOf(nested) !== undefined && organisationOf(nested) === organisationOf(outer);
  const who = nested.signer ? `"${nested.signer.subjectFields.organization ?? nested.signer.subject}"` : 'an unreadable signer';
  const report = (why: string): Problem => problem('NESTED_SIGNATURE_UNVOUCHED', `nested signature ${nested.label} (${size} bytes) ${why}: nothing in it is covered by signature ${outer.label}`, outer.label);
  if (!nested.valid) return report('is not intact');
  if (!nested.trusted && !(own && trustedButForTime(nested))) return report(`is by ${who}, whom no trusted chain proves${trustedButForTime(nested) ? ' now (another publisher\'s certificate, expired or out of purpose)' : ''}`);
  if (!own && size > OVERSIZED_NESTED) return report(`is by another publisher, ${who}, and larger than any signature needs`);
  return undefined;
}

/** A signature that proves its signer: trusted, or trusted but for time or purpose when it is `peer`'s organisation. */
function vouches(s: AuthenticodeSignature, peer: AuthenticodeSignature): boolean {
  return s.trusted || (trustedButForTime(s) && organisationOf(s) !== undefined && organisationOf(s) === organisationOf(peer));
}

const topLevel = (s: AuthenticodeSignature): boolean => !s.label.includes('.');
const describeSigner = (s: AuthenticodeSignature): string => (s.signer ? `"${s.signer.subjectFields.organization ?? s.signer.subject}"` : 'an unreadable signer');

/** What untrusted signatures beside a trusted one may hold in a UEFI image: shim carries one entry per CA (about
 * 9.5 KiB each) and our db may lack several of those CAs. */
const EFI_UNTRUSTED_ENTRIES = 48 * 1024;
/** What an intact first signature that no trusted chain proves may hold around a trusted nested one: a genuine
 * legacy dual-signed file's SHA-1 signature with its timestamp (its root no longer trusted) is well under it. */
const UNPROVEN_WRAPPER = 16 * 1024;

/**
 * File-level: signatures nothing trusted vouches for beside one that is trusted. Windows judges a PE by its first
 * signature, so a trusted signature nested inside an untrusted first one (anyone can wrap a genuine signature in
 * their own: osslsigncode -nest) makes the file look trusted while every byte of the wrapper — certificates with
 * any extension, attributes — is vouched for by no one: tolerated up to a bound when the wrapper is intact (a
 * genuine legacy dual-signed file whose first, SHA-1 chain is no longer trusted), hidden data past it or broken. UEFI firmware takes an image when any entry is trusted and
 * skips the others: those are room for data, tolerated up to a bound (a genuine shim's entry for a CA our db lacks).
 * `entrySizes`: the bytes of each WIN_CERTIFICATE entry, by top-level label.
 */
export function unvouchedBesideTrusted(signatures: readonly AuthenticodeSignature[], efi: boolean, entrySizes: ReadonlyMap<string, number>): Problem[] {
  const trusted = signatures.filter((s) => s.trusted);
  if (trusted.length === 0) return [];
  if (!efi) {
    const first = signatures.find((s) => s.label === '0');
    const inside = trusted.find((s) => s.label.startsWith('0.'));
    if (!first || !inside || vouches(first, inside)) return [];
    const own = (entrySizes.get('0') ?? 0) - (first.nestedBytes ?? 0);
    if (first.valid && own <= UNPROVEN_WRAPPER) return [];
    return [problem('SIGNATURE_UNVOUCHED_DATA', `signature 0 (${own} bytes of its own) is by ${describeSigner(first)}, whom no trusted chain proves, wrapped around trusted nested signature ${inside.label}: Windows judges the file by signature 0, and nothing trusted vouches for its certificates and attributes`, '0')];
  }
  const untrusted = signatures.filter((s) => topLevel(s) && !trusted.some((t) => t === s || (topLevel(t) && vouches(s, t))));
  const bytes = untrusted.reduce((sum, s) => sum + (entrySizes.get(s.label) ?? 0), 0);
  if (bytes <= EFI_UNTRUSTED_ENTRIES) return [];
  return [problem('SIGNATURE_UNVOUCHED_DATA', `${untrusted.length} certificate-table entr${untrusted.length === 1 ? 'y' : 'ies'} (${untrusted.map((s) => s.label).join(', ')}; ${bytes} bytes) by signers no trusted chain proves (${untrusted.map(describeSigner).join(', ')}) sit beside a trusted one: firmware skips them, and nothing vouches for their bytes (genuine images: under ${EFI_UNTRUSTED_ENTRIES / 1024} KiB)`)];
}
