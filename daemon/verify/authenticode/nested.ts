// A signature nested in another's unsigned attributes (signtool /as) is not covered by the signature it sits in:
// anyone can add one to a signed file without breaking that signature, and whatever it carries — its own signed
// attributes (a program name of any length), certificates, further attributes — rides along in bytes the file's
// signer never vouched for, as the 3CX payload did in d3dcompiler_47.dll's certificate table. A nested signature
// vouches for its own bytes only when it is intact and its chain proves who made it: trusted, or trusted but for time
// or purpose (an expired SHA-1 certificate beside its SHA-256 successor). Genuine files are dual-signed that way, by
// the same publisher or another (Inno Setup 6.0.5: Martijn Laan, then Korton Group B.V.); anything else is reported
// as hidden data.
import { TIME_OR_PURPOSE_PROBLEMS } from '../../shared/signer.ts';
import { problem, type Problem } from '../problems.ts';
import type { AuthenticodeSignature } from './signature.ts';

/** Intact, and its chain proves the name: trusted, or kept from it only by time or purpose. */
function identityProven(s: AuthenticodeSignature): boolean {
  if (!s.valid) return false;
  if (s.trusted) return true;
  const trust = s.problems.filter((p) => p.signature === s.label && p.severity === 'trust');
  return trust.length > 0 && trust.every((p) => TIME_OR_PURPOSE_PROBLEMS.has(p.code));
}

/**
 * The problem (on the outer signature) for a nested signature of `size` bytes whose maker nothing proves, or
 * undefined. Only asked when the outer signature proves its own identity: an outer signature that does not is
 * already the file's weak point.
 */
export function unvouchedNested(outer: AuthenticodeSignature, nested: AuthenticodeSignature, size: number): Problem | undefined {
  if (!identityProven(outer) || identityProven(nested)) return undefined;
  const who = nested.signer ? `"${nested.signer.subjectFields.organization ?? nested.signer.subject}"` : 'an unreadable signer';
  const why = nested.valid ? `is by ${who}, whom no trusted chain proves` : 'is not intact';
  return problem('NESTED_SIGNATURE_UNVOUCHED', `nested signature ${nested.label} (${size} bytes) ${why}: nothing in it is covered by signature ${outer.label}`, outer.label);
}
