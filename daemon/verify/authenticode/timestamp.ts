// Timestamps on an Authenticode signature (VERIFY-NOTES A7). The presence of a timestamp attribute proves nothing:
// we check the imprint against the signature it covers, the TSA's own signature, its EKU and its chain at that time.
import {
  type Asn1,
  type CertificateInfo,
  type SignerInfo,
  findAttribute,
  OID,
  parseContentInfoSignedData,
  parseSignerInfo,
  parseTstInfo,
  sameBytes,
  signedAttrsForVerification,
} from '../../formats/cms/index.ts';
import { errorMessage, FormatError } from '../../shared/errors.ts';
import { buildChain, type ChainContext } from '../chain/build.ts';
import { digest, digestName, verifySignature } from '../crypto.ts';
import { besideBytes, unreadParts, unrelatedCertificates } from '../cms-unvouched.ts';
import { caughtProblem, problem, rethrowUnexpected, type Problem } from '../problems.ts';

export interface TimestampReport {
  readonly kind: 'rfc3161' | 'legacy';
  readonly time: Date | undefined;
  /** The timestamp's own signature and imprint hold. */
  readonly valid: boolean;
  /** It parses as a timestamp and covers this signature (imprint / messageDigest), whether or not it verifies. */
  readonly ofThisSignature: boolean;
  /** …and the TSA chains to a root trusted for time stamping at that time. */
  readonly trusted: boolean;
  readonly signerSubject: string | undefined;
  readonly digestAlgorithm: string | undefined;
  readonly chain: readonly CertificateInfo[];
  readonly problems: readonly Problem[];
}

export function findSignerCertificate(signer: SignerInfo, certs: readonly CertificateInfo[]): CertificateInfo | undefined {
  const sid = signer.sid;
  if (sid.kind === 'subjectKeyId') return certs.find((c) => c.subjectKeyId === sid.keyId);
  return certs.find((c) => c.serialHex === sid.serialHex && sameBytes(c.issuerDer, sid.issuerDer));
}

/**
 * Checks a SignerInfo's signed attributes (messageDigest over `content`, optional contentType) and its signature.
 * Returns problems with `code` for the caller to relabel.
 */
export function checkSignerInfo(
  signer: SignerInfo,
  cert: CertificateInfo,
  content: Uint8Array,
  expectedContentType: string | undefined,
): { ok: boolean; reasons: string[]; unsupported: boolean } {
  const reasons: string[] = [];
  let unsupported = false;
  const d = digestName(signer.digestAlgorithm);
  if (!d) return { ok: false, reasons: [`unsupported digest algorithm ${signer.digestAlgorithm.oid}`], unsupported: true };
  let signedBytes: Uint8Array = content;
  if (signer.signedAttrsRaw) {
    try {
      const md = findAttribute(signer.signedAttrs, OID.messageDigest)?.values[0]?.octets('messageDigest');
      if (!md) reasons.push('messageDigest attribute is missing');
      else if (!sameBytes(md, digest(d, content))) reasons.push('messageDigest does not match the signed content');
      if (expectedContentType) {
        const ct = findAttribute(signer.signedAttrs, OID.contentType)?.values[0]?.oid('contentType');
        if (ct !== expectedContentType) reasons.push(`contentType attribute is ${ct ?? 'missing'}, expected ${expectedContentType}`);
      }
    } catch (err) {
      rethrowUnexpected(err);
      reasons.push(`signed attributes are malformed: ${errorMessage(err)}`);
    }
    signedBytes = signedAttrsForVerification(signer.signedAttrsRaw);
  }
  if (cert.explicitCurve) reasons.push('signer key has explicit EC curve parameters');
  else {
    const check = verifySignature(signedBytes, signer.signature, signer.signatureAlgorithm, cert.spki, d);
    if (!check.ok) {
      reasons.push(check.reason);
      unsupported = check.unsupported === true;
    }
  }
  return { ok: reasons.length === 0, reasons, unsupported };
}

/** An RFC 3161 token: one value of unsigned attribute 1.3.6.1.4.1.311.3.3.1 (Authenticode) or 1.2.840.113549.1.9.16.2.14 (Apple). */
export function verifyRfc3161(
  token: Asn1 | undefined,
  signatureValue: Uint8Array,
  label: string,
  ctx: ChainContext,
): TimestampReport {
  const problems: Problem[] = [];
  const base = { kind: 'rfc3161' as const, chain: [] as CertificateInfo[] };
  try {
    if (!token) throw new FormatError('timestamp', 'MALFORMED', 'attribute has no value');
    const { signedData } = parseContentInfoSignedData(token.raw);
    if (signedData.contentType !== OID.tstInfo || !signedData.contentDigestInput) throw new FormatError('timestamp', 'MALFORMED', 'token does not carry a TSTInfo');
    const tst = parseTstInfo(signedData.contentDigestInput);
    const imprintDigest = digestName(tst.imprintAlgorithm);
    // An imprint under an algorithm not supported here is given the benefit of the doubt: it may cover this signature.
    const ofThisSignature = !imprintDigest || sameBytes(tst.imprint, digest(imprintDigest, signatureValue));
    if (!imprintDigest) problems.push(problem('TIMESTAMP_INVALID', `unsupported imprint algorithm ${tst.imprintAlgorithm.oid}`, label));
    else if (!ofThisSignature) problems.push(problem('TIMESTAMP_INVALID', 'timestamp imprint does not match the signature it claims to cover', label));
    const signer = signedData.signerInfos[0];
    if (signedData.signerInfos.length !== 1 || !signer) throw new FormatError('timestamp', 'MALFORMED', `token has ${signedData.signerInfos.length} signers`);
    const cert = findSignerCertificate(signer, signedData.certificates);
    if (!cert) {
      problems.push(problem('TIMESTAMP_INVALID', 'the TSA certificate is not in the token', label));
      return { ...base, time: tst.genTime, valid: false, ofThisSignature, trusted: false, signerSubject: undefined, digestAlgorithm: imprintDigest, problems };
    }
    const check = checkSignerInfo(signer, cert, signedData.contentDigestInput, OID.tstInfo);
    for (const reason of check.reasons) problems.push(problem('TIMESTAMP_INVALID', `TSA signature: ${reason}`, label));
    const valid = problems.length === 0;
    const chain = buildChain(
      { leaf: cert, pool: signedData.certificates, purpose: OID.ekuTimeStamping, at: tst.genTime, label },
      ctx,
    );
    for (const p of chain.problems) problems.push(problem(p.severity === 'warning' ? p.code : 'TIMESTAMP_UNTRUSTED', `TSA: ${p.message}`, label));
    // The token is a signature of its own, with the same room beside its chain (its unsigned attributes count in the
    // outer signature's). Microsoft's TSA puts an attribute certificate (CHOICE [1]) in the bag: counted, not reported.
    problems.push(...unreadParts(signedData, signer, label, false));
    problems.push(...unrelatedCertificates(signedData.certificates, [chain.path], label, ctx, besideBytes(signedData, true)));
    return {
      kind: 'rfc3161',
      time: tst.genTime,
      valid,
      ofThisSignature,
      trusted: valid && chain.trusted,
      signerSubject: cert.subject,
      digestAlgorithm: imprintDigest,
      chain: chain.path,
      problems,
    };
  } catch (err) {
    problems.push(caughtProblem(err, 'TIMESTAMP_INVALID', 'RFC 3161 timestamp does not parse', label));
    return { ...base, time: undefined, valid: false, ofThisSignature: false, trusted: false, signerSubject: undefined, digestAlgorithm: undefined, problems };
  }
}

/** A legacy PKCS #9 countersignature (one value of 1.2.840.113549.1.9.6): a bare SignerInfo over the outer signature value. */
export function verifyCountersignature(
  node: Asn1 | undefined,
  signatureValue: Uint8Array,
  outerCertificates: readonly CertificateInfo[],
  label: string,
  ctx: ChainContext,
): TimestampReport {
  const problems: Problem[] = [];
  try {
    if (!node) throw new FormatError('timestamp', 'MALFORMED', 'attribute has no value');
    const signer = parseSignerInfo(node);
    const time = findAttribute(signer.signedAttrs, OID.signingTime)?.values[0]?.time('signingTime');
    if (!time) problems.push(problem('TIMESTAMP_INVALID', 'countersignature has no signingTime', label));
    const cert = findSignerCertificate(signer, outerCertificates);
    if (!cert) {
      problems.push(problem('TIMESTAMP_INVALID', 'the countersigner certificate is not in the signature', label));
      return { kind: 'legacy', time, valid: false, ofThisSignature: true, trusted: false, signerSubject: undefined, digestAlgorithm: undefined, chain: [], problems };
    }
    const check = checkSignerInfo(signer, cert, signatureValue, undefined);
    const ofThisSignature = !check.reasons.some((r) => r.startsWith('messageDigest does not match'));
    for (const reason of check.reasons) problems.push(problem('TIMESTAMP_INVALID', `countersignature: ${reason}`, label));
    const valid = problems.length === 0;
    const chain = buildChain(
      { leaf: cert, pool: outerCertificates, purpose: OID.ekuTimeStamping, at: time ?? new Date(0), label },
      ctx,
    );
    for (const p of chain.problems) problems.push(problem(p.severity === 'warning' ? p.code : 'TIMESTAMP_UNTRUSTED', `countersigner: ${p.message}`, label));
    return {
      kind: 'legacy',
      time,
      valid,
      ofThisSignature,
      trusted: valid && chain.trusted,
      signerSubject: cert.subject,
      digestAlgorithm: digestName(signer.digestAlgorithm),
      chain: chain.path,
      problems,
    };
  } catch (err) {
    problems.push(caughtProblem(err, 'TIMESTAMP_INVALID', 'countersignature does not parse', label));
    return { kind: 'legacy', time: undefined, valid: false, ofThisSignature: false, trusted: false, signerSubject: undefined, digestAlgorithm: undefined, chain: [], problems };
  }
}
