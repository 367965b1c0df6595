// What a CMS SignedData carries that no signature covers and nothing here verifies: the room CVE-2013-3900 used after
// the PKCS#7, found inside it instead — the CRL field, elements after a structure's last field, certificate-bag
// entries that are not certificates or belong to no chain, unknown or oversized unsigned attributes, timestamps that
// do not verify. Anyone can add these to a genuine signed file without a key and it stays validly signed, so each is
// reported as hidden data (UNAUTHENTICATED_DATA_CODES). Shared by Authenticode (PE, catalogs) and Apple code signing.
import { type Attribute, type CertificateInfo, OID, type SignedData, type SignerInfo } from '../formats/cms/index.ts';
import { type ChainContext, issuedBy } from './chain/build.ts';
import { problem, type Problem } from './problems.ts';

/** Unsigned attributes outside nested signatures larger than this in total are reported (genuine: under 8 KiB). */
export const OVERSIZED_UNSIGNED_ATTRIBUTES = 64 * 1024;

/** Unsigned attributes that carry a timestamp of the signature. */
export const TIMESTAMP_ATTRIBUTES: ReadonlySet<string> = new Set([OID.msRfc3161Timestamp, OID.timeStampToken, OID.countersignature]);

/** The CRL field and trailing elements; with `strictBag`, also each bag entry that is not an X.509 certificate. */
export function unreadParts(sd: SignedData, signer: SignerInfo | undefined, label: string, strictBag = true): Problem[] {
  const problems: Problem[] = [...sd.unread, ...(signer?.unread ?? [])].map((part) =>
    problem('SIGNATURE_UNVOUCHED_DATA', `${part.size} bytes in the ${part.what}, which no signature covers and nothing verifies`, label),
  );
  if (strictBag) {
    for (const entry of sd.unparsedCertificates) {
      problems.push(problem('EXTRA_CERTIFICATES', `an entry of the certificate bag is not a certificate (${entry.reason}; ${entry.size} bytes)`, label));
    }
  }
  return problems;
}

/**
 * Unsigned attributes: an OID outside `known`, and all but nested signatures together over
 * OVERSIZED_UNSIGNED_ATTRIBUTES (one large attribute, or many small ones).
 */
export function unvouchedAttributes(attrs: readonly Attribute[], known: ReadonlySet<string>, label: string): Problem[] {
  const problems: Problem[] = [];
  let total = 0;
  for (const attr of attrs) {
    if (!known.has(attr.oid)) {
      problems.push(problem('UNKNOWN_UNSIGNED_ATTRIBUTE', `unknown unsigned attribute ${attr.oid} (${attr.size} bytes) is not covered by the signature`, label));
    }
    if (attr.oid !== OID.nestedSignature) total += attr.size;
  }
  if (total > OVERSIZED_UNSIGNED_ATTRIBUTES) {
    const count = attrs.filter((a) => a.oid !== OID.nestedSignature).length;
    problems.push(problem('OVERSIZED_UNSIGNED_ATTRIBUTE', `${count} unsigned attribute(s) outside nested signatures hold ${total} bytes (genuine timestamps take a few KiB)`, label));
  }
  return problems;
}

/** Every timestamp value a signer carries, in order: one attribute may hold several, and a signer several attributes. */
export function timestampValues(signer: SignerInfo | undefined, kinds: ReadonlySet<string> = TIMESTAMP_ATTRIBUTES): { oid: string; value: Attribute['values'][number] }[] {
  return (signer?.unsignedAttrs ?? []).filter((a) => kinds.has(a.oid)).flatMap((a) => a.values.map((value) => ({ oid: a.oid, value })));
}

/** A timestamp value that does not verify over the signature it sits on: its bytes are vouched for by nothing. */
export function unverifiedTimestamp(index: number, size: number, label: string): Problem {
  const which = index === 0 ? 'the timestamp' : `timestamp #${index + 1}`;
  return problem('SIGNATURE_UNVOUCHED_DATA', `${which} (${size} bytes) does not verify over this signature: bytes nothing vouches for`, label);
}

/** Certificates beside the chains (cross-certificates) larger than this in total are reported (genuine: under 2 KiB). */
export const OVERSIZED_OFF_PATH_CERTIFICATES = 16 * 1024;

/**
 * Certificates in the signature that have nothing to do with any chain built from it are room for smuggled data:
 * reported, never used. Related means on a path, or issued by or the issuer of a related certificate (a cross-
 * certificate carries its CA's key, so it verifies the certificate below it; vendors ship the cross-signing root too)
 * — proven by a signature, not by names, which anyone can copy into a certificate of their own. A CA's key is public
 * as well, so a made-up "cross-certificate" with room inside can pass that test: what sits beside the chains —
 * certificates and `otherBytes` (bag entries of other kinds, where tolerated) — is bounded in size.
 */
export function unrelatedCertificates(
  certificates: readonly CertificateInfo[],
  paths: readonly (readonly CertificateInfo[])[],
  label: string,
  ctx: ChainContext,
  otherBytes = 0,
): Problem[] {
  const problems: Problem[] = [];
  const related = new Set(paths.flat());
  const sha256s = new Set([...related].map((c) => c.sha256));
  const offPath = certificates.filter((c) => !sha256s.has(c.sha256));
  for (let grew = true; grew; ) {
    grew = false;
    for (const c of offPath) {
      if (related.has(c) || c.extensionOids.includes(OID.chromeTagCertificate)) continue;
      if ([...related].some((r) => issuedBy(c, r, ctx) || issuedBy(r, c, ctx))) {
        related.add(c);
        grew = true;
      }
    }
  }
  for (const c of offPath) {
    if (c.extensionOids.includes(OID.chromeTagCertificate)) {
      problems.push(problem('TAG_CERTIFICATE', `"${c.subject}" is a tag certificate carrying unsigned data`, label));
    } else if (!related.has(c)) {
      problems.push(problem('EXTRA_CERTIFICATES', `certificate "${c.subject}" is not part of any chain in the signature`, label));
    }
  }
  const bytes = offPath.reduce((sum, c) => sum + c.der.length, otherBytes);
  if (bytes > OVERSIZED_OFF_PATH_CERTIFICATES) {
    problems.push(problem('EXTRA_CERTIFICATES', `${offPath.length} certificate(s) beside the signature's chains hold ${bytes} bytes (a cross-certificate takes under 2 KiB)`, label));
  }
  return problems;
}
