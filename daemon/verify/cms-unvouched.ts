// What a CMS SignedData carries that no signature covers and nothing here verifies: the room CVE-2013-3900 used after
// the PKCS#7, found inside it instead — elements after a structure's last field, parameters no algorithm takes,
// certificates padded outside what their issuer signed, bag entries that are not certificates or belong to no chain,
// unknown or oversized unsigned attributes, timestamps that are not this signature's. Anyone can add these to a
// genuine signed file without a key and it stays validly signed, so each is reported as hidden data
// (UNAUTHENTICATED_DATA_CODES); what genuine signers do carry (CRLs, cross-certificates) is tolerated within a bound.
// Shared by Authenticode (PE), RFC 3161 tokens and Apple code signing.
import { type Attribute, type CertificateInfo, OID, type SignedData, type SignerInfo } from '../formats/cms/index.ts';
import { type ChainContext, issuedBy } from './chain/build.ts';
import { problem, type Problem, UNAUTHENTICATED_DATA_CODES } from './problems.ts';

/** Unsigned attributes outside nested signatures larger than this in total are reported (genuine: under 8 KiB). */
export const OVERSIZED_UNSIGNED_ATTRIBUTES = 64 * 1024;

/** Unsigned attributes that carry a timestamp of the signature. */
export const TIMESTAMP_ATTRIBUTES: ReadonlySet<string> = new Set([OID.msRfc3161Timestamp, OID.timeStampToken, OID.countersignature]);

/** Elements after a structure's last field, parameters no algorithm takes, certificates padded outside their signed
 * part; with `strictBag`, also each bag entry that is not an X.509 certificate. */
export function unreadParts(sd: SignedData, signer: SignerInfo | undefined, label: string, strictBag = true): Problem[] {
  const problems: Problem[] = [...sd.unread, ...(signer?.unread ?? [])].map((part) =>
    problem('SIGNATURE_UNVOUCHED_DATA', `${part.size} bytes in the ${part.what}, which no signature covers and nothing verifies`, label),
  );
  problems.push(...unreadParameters(sd, signer, label));
  for (const c of sd.certificates) {
    if (c.unsignedBytes > 0) problems.push(problem('SIGNATURE_UNVOUCHED_DATA', `certificate "${c.subject}" carries ${c.unsignedBytes} bytes outside what its issuer signed, which nothing reads`, label));
  }
  if (strictBag) {
    for (const entry of sd.unparsedCertificates) {
      problems.push(problem('EXTRA_CERTIFICATES', `an entry of the certificate bag is not a certificate (${entry.reason}; ${entry.size} bytes)`, label));
    }
  }
  return problems;
}

/** Digest algorithms take no parameters (or NULL); a signature algorithm's are small (RSA-PSS: under 100 bytes). */
function unreadParameters(sd: SignedData, signer: SignerInfo | undefined, label: string): Problem[] {
  const params: Array<[string, Uint8Array | undefined, number]> = [
    ...sd.digestAlgorithms.map((a): [string, Uint8Array | undefined, number] => ['SignedData digest algorithm', a.parameters, 0]),
    ['SignerInfo digest algorithm', signer?.digestAlgorithm.parameters, 0],
    ['SignerInfo signature algorithm', signer?.signatureAlgorithm.parameters, 128],
  ];
  return params
    .filter(([, bytes, allowed]) => bytes !== undefined && bytes.length > allowed)
    .map(([what, bytes]) => problem('SIGNATURE_UNVOUCHED_DATA', `${bytes?.length ?? 0} bytes of parameters of the ${what}, which no signature covers and nothing reads`, label));
}

/** Bytes beside the chains that are tolerated but bounded: CRLs (never read here) and, where tolerated, bag entries of other kinds. */
export function besideBytes(sd: SignedData, countUnparsed: boolean): number {
  return sd.crlBytes + (countUnparsed ? sd.unparsedCertificates.reduce((sum, e) => sum + e.size, 0) : 0);
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
    // A nested signature is judged as a signature of its own; bytes its attribute carries after the values are not.
    total += attr.oid !== OID.nestedSignature ? attr.size : attr.unread;
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

export interface TimestampsOfSigner<R> {
  /** The first timestamp's report: it dates the signature. */
  readonly first: R | undefined;
  /** Every timestamp's chain (they relate certificates of the bag). */
  readonly chains: readonly (readonly CertificateInfo[])[];
  /** Timestamps that are not this signature's, and further timestamps' own hidden data. */
  readonly problems: readonly Problem[];
}

/** Verifies every timestamp value of `signer` with `verify` (labels `L/timestamp`, `L/timestamp.2`, …). */
export function verifyTimestamps<R extends { readonly valid: boolean; readonly ofThisSignature: boolean; readonly chain: readonly CertificateInfo[]; readonly problems: readonly Problem[] }>(
  signer: SignerInfo | undefined,
  kinds: ReadonlySet<string>,
  label: string,
  verify: (oid: string, value: Attribute['values'][number], signer: SignerInfo, label: string) => R,
): TimestampsOfSigner<R> {
  let first: R | undefined;
  const chains: (readonly CertificateInfo[])[] = [];
  const problems: Problem[] = [];
  timestampValues(signer, kinds).forEach(({ oid, value }, i) => {
    if (!signer) return;
    const report = verify(oid, value, signer, i === 0 ? `${label}/timestamp` : `${label}/timestamp.${i + 1}`);
    if (i === 0) first = report;
    chains.push(report.chain);
    const unvouched = unvouchedTimestamp(i, report, value.raw.length, label);
    if (unvouched) problems.push(unvouched);
    // A further timestamp's own hidden data (its bag, CRLs) counts too; its other problems date nothing.
    if (i > 0) problems.push(...report.problems.filter((p) => UNAUTHENTICATED_DATA_CODES.has(p.code)));
  });
  return { first, chains, problems };
}

/**
 * A timestamp that is not one of this signature, as hidden data. The first one only when it is not a timestamp of
 * this signature at all (it does not parse, or its imprint is of other bytes): a genuine one that cannot be verified
 * here (no TSA certificate in the token, an algorithm not supported) stays TIMESTAMP_INVALID. Any further one — no
 * signing tool writes two — when it does not verify.
 */
function unvouchedTimestamp(index: number, report: { readonly valid: boolean; readonly ofThisSignature: boolean }, size: number, label: string): Problem | undefined {
  if (index === 0 ? report.ofThisSignature : report.valid) return undefined;
  const which = index === 0 ? 'the timestamp' : `timestamp #${index + 1}`;
  const why = index === 0 ? 'is not a timestamp of this signature' : 'does not verify over this signature';
  return problem('SIGNATURE_UNVOUCHED_DATA', `${which} (${size} bytes) ${why}: bytes nothing vouches for`, label);
}

/** Certificates beside the chains (cross-certificates) larger than this in total are reported (genuine: under 2 KiB). */
export const OVERSIZED_OFF_PATH_CERTIFICATES = 16 * 1024;

/** More certificates than this beside the chains are reported without relating them (each relation costs a signature check). */
const MAX_OFF_PATH_CERTIFICATES = 32;

/**
 * Certificates in the signature that have nothing to do with any chain built from it are room for smuggled data:
 * reported, never used. Related means on a path, or issued by or the issuer of a related certificate (a cross-
 * certificate carries its CA's key, so it verifies the certificate below it; vendors ship the cross-signing root too),
 * or — where a signature cannot show it (an MD2 or DSA link, a cross-certificate for a root not on the path) — naming
 * a certificate on a path as subject or issuer. A CA's name and key are public, so a made-up certificate with room
 * inside can pass: what sits beside the chains — certificates, CRLs, `otherBytes` — is bounded in size.
 */
export function unrelatedCertificates(
  certificates: readonly CertificateInfo[],
  paths: readonly (readonly CertificateInfo[])[],
  label: string,
  ctx: ChainContext,
  otherBytes = 0,
): Problem[] {
  const onPath = paths.flat();
  const sha256s = new Set(onPath.map((c) => c.sha256));
  const offPath = certificates.filter((c) => !sha256s.has(c.sha256));
  const bytes = offPath.reduce((sum, c) => sum + c.der.length, otherBytes);
  const problems: Problem[] = [];
  if (bytes > OVERSIZED_OFF_PATH_CERTIFICATES || offPath.length > MAX_OFF_PATH_CERTIFICATES) {
    problems.push(problem('EXTRA_CERTIFICATES', `${offPath.length} certificate(s) and CRLs beside the signature's chains hold ${bytes} bytes (a cross-certificate takes under 2 KiB)`, label));
  }
  if (offPath.length > MAX_OFF_PATH_CERTIFICATES) return problems;
  const related = relatedCertificates(offPath, onPath, ctx);
  for (const c of offPath) {
    if (c.extensionOids.includes(OID.chromeTagCertificate)) {
      problems.push(problem('TAG_CERTIFICATE', `"${c.subject}" is a tag certificate carrying unsigned data`, label));
    } else if (!related.has(c)) {
      problems.push(problem('EXTRA_CERTIFICATES', `certificate "${c.subject}" is not part of any chain in the signature`, label));
    }
  }
  return problems;
}

/** The off-path certificates related to a path: by a signature, transitively, else by a name on the path. */
function relatedCertificates(offPath: readonly CertificateInfo[], onPath: readonly CertificateInfo[], ctx: ChainContext): Set<CertificateInfo> {
  const related = new Set<CertificateInfo>();
  const linked = [...onPath];
  for (let grew = true; grew; ) {
    grew = false;
    for (const c of offPath) {
      if (related.has(c) || c.extensionOids.includes(OID.chromeTagCertificate)) continue;
      if (linked.some((r) => issuedBy(c, r, ctx) || issuedBy(r, c, ctx))) {
        related.add(c);
        linked.push(c);
        grew = true;
      }
    }
  }
  const names = new Set(onPath.flatMap((c) => [hex(c.subjectDer), hex(c.issuerDer)]));
  for (const c of offPath) if (names.has(hex(c.subjectDer)) || names.has(hex(c.issuerDer))) related.add(c);
  return related;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
