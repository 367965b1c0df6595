// Verification results → the ECS-shaped record (shared/model.ts), and the verdict policy that summarises them.
import { type CertificateInfo } from '../formats/cms/index.ts';
import { type CodeSignatureRecord, type CertificateRecord, type ProblemRecord, type SignatureRecord, type SignatureStatus } from '../shared/model.ts';
import { type AuthenticodeSignature } from '../verify/authenticode/signature.ts';
import { type TimestampReport } from '../verify/authenticode/timestamp.ts';
import { type CatalogMatch, type CatalogSignature } from '../verify/catalog/catalog.ts';
import { type Problem } from '../verify/problems.ts';

export const certRecord = (c: CertificateInfo): CertificateRecord => ({
  subject_name: c.subject,
  issuer_name: c.issuer,
  serial_number: c.serialHex,
  not_before: c.notBefore.toISOString(),
  not_after: c.notAfter.toISOString(),
  thumbprint_sha256: c.sha256,
});

export const problemRecord = (p: Problem): ProblemRecord => ({
  code: p.code,
  severity: p.severity,
  message: p.message,
  ...(p.signature === undefined ? {} : { signature: p.signature }),
});

function signerFields(cert: CertificateInfo | undefined): Pick<SignatureRecord, 'subject_name' | 'issuer_name' | 'organization' | 'thumbprint_sha256'> {
  return {
    subject_name: cert?.subjectFields.commonName ?? cert?.subject,
    issuer_name: cert?.issuerFields.commonName ?? cert?.issuer,
    organization: cert?.subjectFields.organization,
    thumbprint_sha256: cert?.sha256,
  };
}

function timestampRecord(ts: TimestampReport | undefined): SignatureRecord['timestamp'] {
  return ts && { kind: ts.kind, time: ts.time?.toISOString(), valid: ts.valid, trusted: ts.trusted, signer: ts.signerSubject };
}

export function signatureRecord(s: AuthenticodeSignature): SignatureRecord {
  return {
    index: s.label,
    kind: s.nested ? 'nested' : 'embedded',
    ...signerFields(s.signer),
    digest_algorithm: s.digestAlgorithm ?? s.digestAlgorithmOid,
    valid: s.valid,
    trusted: s.trusted,
    signed_digest: s.signedDigest,
    ...(s.computedDigest === undefined ? {} : { computed_digest: s.computedDigest }),
    ...(s.programName === undefined ? {} : { program_name: s.programName }),
    ...(s.moreInfo === undefined ? {} : { more_info: s.moreInfo }),
    timestamp: timestampRecord(s.timestamp),
    chain: s.chain.map(certRecord),
  };
}

/** A catalog's own signature, as the signature of the catalog file or of a member found in it. */
export function catalogSignerRecord(sig: CatalogSignature, index: string, kind: SignatureRecord['kind'], match: CatalogMatch | undefined): SignatureRecord {
  return {
    index,
    kind,
    ...signerFields(sig.signer),
    digest_algorithm: match?.member.digestAlgorithm,
    valid: sig.valid,
    trusted: sig.trusted,
    ...(match ? { catalog: { name: match.catalog.name, member: match.member.tag, matched_by: match.matchedBy } } : {}),
    timestamp: timestampRecord(sig.timestamp),
    chain: sig.chain.map(certRecord),
  };
}

/**
 * The verdict policy: a file's embedded signatures are valid only if every one of them (and the table holding them)
 * is intact — a broken nested signature is tampering too; it is trusted if at least one valid signature chains to
 * a trusted root. A catalog signature counts when the file has no embedded one, or alongside it.
 */
export function summarise(
  embedded: readonly AuthenticodeSignature[],
  fileProblems: readonly Problem[],
  embeddedPresent: boolean,
  catalog: CatalogMatch | undefined,
): CodeSignatureRecord {
  const signatures = embedded.map(signatureRecord);
  if (catalog) signatures.push(catalogSignerRecord(catalog.catalog.signature, 'catalog', 'catalog', catalog));
  const problems = [...fileProblems, ...embedded.flatMap((s) => s.problems), ...(catalog?.catalog.signature.problems ?? [])].map(problemRecord);
  const exists = embeddedPresent || catalog !== undefined;
  const embeddedValid = embedded.length > 0 && embedded.every((s) => s.valid) && !fileProblems.some((p) => p.severity === 'integrity');
  const embeddedTrusted = embeddedValid && embedded.some((s) => s.trusted);
  const catalogValid = catalog?.catalog.signature.valid === true;
  const catalogTrusted = catalog?.catalog.signature.trusted === true;
  let status: SignatureStatus;
  let valid: boolean;
  let trusted: boolean;
  if (!exists) [status, valid, trusted] = ['unsigned', false, false];
  else if (embeddedPresent) {
    valid = embeddedValid;
    trusted = valid && (embeddedTrusted || catalogTrusted);
    status = !valid ? 'invalid' : trusted ? 'trusted' : 'untrusted';
  } else {
    valid = catalogValid;
    trusted = catalogTrusted;
    status = !valid ? 'invalid' : trusted ? 'trusted' : 'untrusted';
  }
  const primary = signatures.find((s) => s.trusted) ?? signatures.find((s) => s.valid) ?? signatures[0];
  return {
    exists,
    status,
    valid,
    trusted,
    source: embeddedPresent && catalog ? 'both' : embeddedPresent ? 'embedded' : catalog ? 'catalog' : 'none',
    subject_name: primary?.subject_name,
    issuer_name: primary?.issuer_name,
    digest_algorithm: primary?.digest_algorithm,
    timestamp: primary?.timestamp?.time,
    thumbprint_sha256: primary?.thumbprint_sha256,
    signatures,
    problems,
  };
}

