// Verification results → the ECS-shaped record (shared/model.ts), and the verdict policy that summarises them.
import { type CertificateInfo } from '../formats/cms/index.ts';
import {
  type CertificateRecord,
  type CodeSignatureRecord,
  type MachoSliceRecord,
  type ProblemRecord,
  type SignatureRecord,
  type SignatureStatus,
} from '../shared/model.ts';
import { type MachoFileReport } from '../verify/codesign/macho.ts';
import { type SliceSignatureReport } from '../verify/codesign/slice.ts';
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
    ...(s.digestMethod === undefined ? {} : { digest_method: s.digestMethod }),
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
  // A file-level trust problem (the platform refuses the layout, e.g. CERT_TABLE_NOT_AT_END) withholds trust.
  const embeddedTrusted = embeddedValid && embedded.some((s) => s.trusted) && !fileProblems.some((p) => p.severity === 'trust');
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


// ---- Apple code signing -----------------------------------------------------------------------------------------

const SLICE_RANK: Record<SignatureStatus, number> = { invalid: 0, unsigned: 1, adhoc: 2, 'linker-signed': 3, untrusted: 4, trusted: 5 };

function sliceStatus(s: SliceSignatureReport): SignatureStatus {
  if (s.status === 'signed') return s.trusted ? 'trusted' : 'untrusted';
  return s.status;
}

export function sliceSignatureRecord(s: SliceSignatureReport): SignatureRecord {
  return {
    index: s.label,
    kind: 'slice',
    ...signerFields(s.signer),
    digest_algorithm: s.codeDirectories.find((c) => c.slot === 0)?.hashType,
    valid: s.valid,
    trusted: s.trusted,
    timestamp: timestampRecord(s.timestamp),
    chain: s.chain.map(certRecord),
    arch: s.arch,
    status: sliceStatus(s),
    ...(s.teamId === undefined ? {} : { team_id: s.teamId }),
    ...(s.identifier === undefined ? {} : { signing_id: s.identifier }),
    ...(s.cdhash === undefined ? {} : { cdhash: s.cdhash }),
    cdhashes: s.codeDirectories.map((c) => ({ slot: c.slot, hash_type: c.hashType, cdhash: c.cdhashFull, pages: c.pages, pages_match: c.pagesMatch })),
    flags: s.flagNames,
    ...(s.runtimeVersion === undefined ? {} : { runtime_version: s.runtimeVersion }),
    ...(s.certKind === undefined ? {} : { cert_kind: s.certKind }),
    ...(s.certificateExpired ? { certificate_expired: true } : {}),
    ...(s.entitlements === undefined ? {} : { entitlements: s.entitlements }),
    ...(s.requirements?.designated === undefined ? {} : { designated_requirement: s.requirements.designated }),
    ...(s.signingTime === undefined ? {} : { signing_time: s.signingTime.toISOString() }),
  };
}

/** A Mach-O file is as good as its weakest slice (macOS checks every architecture). */
export function summariseMacho(report: MachoFileReport): CodeSignatureRecord {
  const slices = report.slices.map((s) => s.signature);
  const signatures = slices.filter((s) => s.status !== 'unsigned').map(sliceSignatureRecord);
  const problems = [...report.problems, ...slices.flatMap((s) => s.problems)].map(problemRecord);
  const exists = slices.some((s) => s.status !== 'unsigned');
  const fileIntegrity = !report.problems.some((p) => p.severity === 'integrity');
  let status = slices.map(sliceStatus).reduce<SignatureStatus>((worst, s) => (SLICE_RANK[s] < SLICE_RANK[worst] ? s : worst), 'trusted');
  if (!fileIntegrity && exists) status = 'invalid';
  const primary = slices.find((s) => s.status === 'signed') ?? slices.find((s) => s.status !== 'unsigned');
  const primaryRecord = signatures.find((r) => r.index === primary?.label);
  const valid = exists && fileIntegrity && slices.every((s) => s.valid);
  return {
    exists,
    status: exists ? status : 'unsigned',
    valid,
    trusted: valid && slices.every((s) => s.trusted),
    source: exists ? 'embedded' : 'none',
    subject_name: primaryRecord?.subject_name,
    issuer_name: primaryRecord?.issuer_name,
    digest_algorithm: primaryRecord?.digest_algorithm,
    timestamp: primaryRecord?.timestamp?.time,
    thumbprint_sha256: primaryRecord?.thumbprint_sha256,
    ...(primary?.teamId === undefined ? {} : { team_id: primary.teamId }),
    ...(primary?.identifier === undefined ? {} : { signing_id: primary.identifier }),
    ...(primary?.cdhash === undefined ? {} : { cdhash: primary.cdhash }),
    ...(primary ? { flags: primary.flagNames } : {}),
    signatures,
    problems,
  };
}

export function machoSliceRecords(report: MachoFileReport): MachoSliceRecord[] {
  return report.slices.flatMap(({ location, load }) =>
    load
      ? [
          {
            arch: load.arch,
            kind: load.kind,
            offset: location.offset,
            size: location.size,
            ...(load.uuid ? { uuid: load.uuid } : {}),
            ...(load.platform ? { platform: { name: load.platform.name, min_os: load.platform.minos, sdk: load.platform.sdk } } : {}),
            ...(load.idDylib
              ? { id_dylib: { name: load.idDylib.name, current_version: load.idDylib.currentVersion, compatibility_version: load.idDylib.compatibilityVersion } }
              : {}),
            dylibs: load.dylibs.map((d) => ({ name: d.name, kind: d.kind, current_version: d.currentVersion, compatibility_version: d.compatibilityVersion })),
            rpaths: load.rpaths,
            constructors: load.constructors,
            imports: load.imports,
          },
        ]
      : [],
  );
}
