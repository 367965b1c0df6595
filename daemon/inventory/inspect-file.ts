// One file in, one ModuleRecord out: sniff by magic, parse, hash in one pass, verify, and summarise every
// problem into a verdict. Malformed input yields a record with `error` set, never an exception.
import { basename } from 'node:path';
import { type CertificateInfo, parseContentInfoSignedData } from '../formats/cms/index.ts';
import { parseElfHeader } from '../formats/elf/index.ts';
import { parseMachoSlices } from '../formats/macho/header.ts';
import { authentihashPlan } from '../formats/pe/digest.ts';
import { parsePe, type PeFile } from '../formats/pe/index.ts';
import { looksLikeCatalog, sniffFormat } from '../formats/sniff/index.ts';
import { SealwatchError, errorMessage } from '../shared/errors.ts';
import {
  type CertificateRecord,
  type CodeSignatureRecord,
  type ModuleRecord,
  type ProblemRecord,
  type SignatureRecord,
  type SignatureStatus,
} from '../shared/model.ts';
import { verifyPeSignatures } from '../verify/authenticode/pe.ts';
import { verifyAuthenticodeSignedData, type AuthenticodeSignature } from '../verify/authenticode/signature.ts';
import { type CatalogIndex, type CatalogMatch, parseCatalog } from '../verify/catalog/catalog.ts';
import { type ChainContext } from '../verify/chain/build.ts';
import { type Problem } from '../verify/problems.ts';
import { digestOnePass, type FileDigests } from './hash.ts';

export interface InspectContext extends ChainContext {
  /** Reference time for certificate validity when there is no trusted timestamp. */
  readonly now: Date;
  readonly catalogs?: CatalogIndex;
}

export interface FileFacts {
  readonly path: string;
  readonly size: number;
  readonly mtime?: Date;
}

const certRecord = (c: CertificateInfo): CertificateRecord => ({
  subject_name: c.subject,
  issuer_name: c.issuer,
  serial_number: c.serialHex,
  not_before: c.notBefore.toISOString(),
  not_after: c.notAfter.toISOString(),
  thumbprint_sha256: c.sha256,
});

const problemRecord = (p: Problem): ProblemRecord => ({
  code: p.code,
  severity: p.severity,
  message: p.message,
  ...(p.signature === undefined ? {} : { signature: p.signature }),
});

function signatureRecord(s: AuthenticodeSignature): SignatureRecord {
  return {
    index: s.label,
    kind: s.nested ? 'nested' : 'embedded',
    subject_name: s.signer?.subjectFields.commonName ?? s.signer?.subject,
    issuer_name: s.signer?.issuerFields.commonName ?? s.signer?.issuer,
    organization: s.signer?.subjectFields.organization,
    digest_algorithm: s.digestAlgorithm ?? s.digestAlgorithmOid,
    valid: s.valid,
    trusted: s.trusted,
    thumbprint_sha256: s.signer?.sha256,
    signed_digest: s.signedDigest,
    ...(s.computedDigest === undefined ? {} : { computed_digest: s.computedDigest }),
    ...(s.programName === undefined ? {} : { program_name: s.programName }),
    ...(s.moreInfo === undefined ? {} : { more_info: s.moreInfo }),
    timestamp: s.timestamp && {
      kind: s.timestamp.kind,
      time: s.timestamp.time?.toISOString(),
      valid: s.timestamp.valid,
      trusted: s.timestamp.trusted,
      signer: s.timestamp.signerSubject,
    },
    chain: s.chain.map(certRecord),
  };
}

function catalogSignatureRecord(m: CatalogMatch): SignatureRecord {
  const sig = m.catalog.signature;
  return {
    index: 'catalog',
    kind: 'catalog',
    subject_name: sig.signer?.subjectFields.commonName ?? sig.signer?.subject,
    issuer_name: sig.signer?.issuerFields.commonName ?? sig.signer?.issuer,
    organization: sig.signer?.subjectFields.organization,
    digest_algorithm: m.member.digestAlgorithm,
    valid: sig.valid,
    trusted: sig.trusted,
    thumbprint_sha256: sig.signer?.sha256,
    catalog: { name: m.catalog.name, member: m.member.tag, matched_by: m.matchedBy },
    timestamp: sig.timestamp && {
      kind: sig.timestamp.kind,
      time: sig.timestamp.time?.toISOString(),
      valid: sig.timestamp.valid,
      trusted: sig.timestamp.trusted,
      signer: sig.timestamp.signerSubject,
    },
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
  if (catalog) signatures.push(catalogSignatureRecord(catalog));
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

const UNSIGNED: CodeSignatureRecord = summarise([], [], false, undefined);

function fileBlock(facts: FileFacts, digests: FileDigests): ModuleRecord['file'] {
  return {
    path: facts.path,
    name: basename(facts.path),
    size: facts.size,
    ...(facts.mtime ? { mtime: facts.mtime.toISOString() } : {}),
    hash: { sha256: digests.sha256, sha1: digests.sha1, md5: digests.md5 },
  };
}

function inspectPe(facts: FileFacts, bytes: Uint8Array, ctx: InspectContext): ModuleRecord {
  let pe: PeFile;
  try {
    pe = parsePe(bytes);
  } catch (err) {
    return malformed(facts, bytes, 'pe', err);
  }
  const plan = authentihashPlan(pe.headers, pe.certificateTable, bytes.length);
  const digests = digestOnePass(bytes, plan);
  const report = verifyPeSignatures(bytes, pe, { ...ctx, knownImageDigests: digests.image ?? {} });
  const catalog = ctx.catalogs?.lookup({
    authentihash_sha256: report.authentihash.sha256,
    authentihash_sha1: report.authentihash.sha1,
    file_sha256: digests.sha256,
    file_sha1: digests.sha1,
  });
  const v = pe.version;
  const str = (k: string): string | undefined => v?.strings[k] || undefined;
  const opt = <K extends string, T>(key: K, value: T | undefined): { [P in K]?: T } =>
    (value === undefined ? {} : { [key]: value }) as { [P in K]?: T };
  return {
    file: fileBlock(facts, digests),
    module: {
      format: 'pe',
      arch: [pe.arch],
      kind: pe.kind,
      bits: pe.bits,
      version: { file: str('FileVersion') ?? v?.fileVersionNumber, product: str('ProductVersion') ?? v?.productVersionNumber },
      ...(pe.issues.length ? { parse_issues: pe.issues } : {}),
    },
    pe: {
      ...opt('company', str('CompanyName')),
      ...opt('product', str('ProductName')),
      ...opt('description', str('FileDescription')),
      ...opt('file_version', str('FileVersion')),
      ...opt('product_version', str('ProductVersion')),
      ...opt('file_version_number', v?.fileVersionNumber),
      ...opt('product_version_number', v?.productVersionNumber),
      ...opt('original_file_name', str('OriginalFilename')),
      ...opt('internal_name', str('InternalName')),
      dotnet: pe.isDotNet,
      authentihash: report.authentihash,
      checksum: pe.checksum,
      overlay_bytes: pe.overlayBytes,
      imports: pe.imports.map((i) => ({ dll: i.dll, functions: i.functions, delay_loaded: i.delayLoaded })),
    },
    code_signature: summarise(report.signatures, report.problems, report.embedded, catalog),
  };
}

function inspectCatalog(facts: FileFacts, bytes: Uint8Array, ctx: InspectContext): ModuleRecord {
  const digests = digestOnePass(bytes);
  try {
    const cat = parseCatalog(bytes, basename(facts.path), ctx);
    const sig = cat.signature;
    const signer = sig.signer;
    const record: SignatureRecord = {
      index: '0',
      kind: 'embedded',
      subject_name: signer?.subjectFields.commonName ?? signer?.subject,
      issuer_name: signer?.issuerFields.commonName ?? signer?.issuer,
      organization: signer?.subjectFields.organization,
      digest_algorithm: undefined,
      valid: sig.valid,
      trusted: sig.trusted,
      thumbprint_sha256: signer?.sha256,
      timestamp: sig.timestamp && {
        kind: sig.timestamp.kind,
        time: sig.timestamp.time?.toISOString(),
        valid: sig.timestamp.valid,
        trusted: sig.timestamp.trusted,
        signer: sig.timestamp.signerSubject,
      },
      chain: sig.chain.map(certRecord),
    };
    const exists = signer !== undefined || !sig.problems.some((p) => p.code === 'CATALOG_UNSIGNED');
    const status: SignatureStatus = !exists ? 'unsigned' : !sig.valid ? 'invalid' : sig.trusted ? 'trusted' : 'untrusted';
    return {
      file: fileBlock(facts, digests),
      module: { format: 'catalog', arch: [], kind: `catalog (${cat.members.length} members)`, version: { file: undefined, product: undefined } },
      code_signature: {
        exists,
        status,
        valid: sig.valid,
        trusted: sig.trusted,
        source: exists ? 'embedded' : 'none',
        subject_name: record.subject_name,
        issuer_name: record.issuer_name,
        digest_algorithm: undefined,
        timestamp: record.timestamp?.time,
        thumbprint_sha256: record.thumbprint_sha256,
        signatures: exists ? [record] : [],
        problems: sig.problems.map(problemRecord),
      },
    };
  } catch (err) {
    return malformed(facts, bytes, 'catalog', err, digests);
  }
}

function inspectP7x(facts: FileFacts, bytes: Uint8Array, ctx: InspectContext): ModuleRecord {
  const digests = digestOnePass(bytes);
  try {
    const { signedData } = parseContentInfoSignedData(bytes.subarray(4));
    const sigs = verifyAuthenticodeSignedData(signedData, '0', { ...ctx, imageDigest: undefined });
    return {
      file: fileBlock(facts, digests),
      module: { format: 'p7x', arch: [], kind: 'package signature', version: { file: undefined, product: undefined } },
      code_signature: summarise(sigs, [], true, undefined),
    };
  } catch (err) {
    return malformed(facts, bytes, 'p7x', err, digests);
  }
}

function inspectOther(facts: FileFacts, bytes: Uint8Array, format: 'macho' | 'elf'): ModuleRecord {
  const digests = digestOnePass(bytes);
  try {
    if (format === 'elf') {
      const h = parseElfHeader(bytes);
      return {
        file: fileBlock(facts, digests),
        module: { format, arch: [h.arch], kind: h.kind, bits: h.bits, version: { file: undefined, product: undefined } },
        code_signature: UNSIGNED,
      };
    }
    const slices = parseMachoSlices(bytes);
    const signed = slices.some((s) => s.hasCodeSignature);
    return {
      file: fileBlock(facts, digests),
      module: { format, arch: slices.map((s) => s.arch), kind: slices[0]?.kind, version: { file: undefined, product: undefined } },
      code_signature: signed ? { ...UNSIGNED, exists: true, status: 'not-verified', source: 'embedded' } : UNSIGNED,
    };
  } catch (err) {
    return malformed(facts, bytes, format, err, digests);
  }
}

function malformed(facts: FileFacts, bytes: Uint8Array, format: ModuleRecord['module']['format'], err: unknown, digests = digestOnePass(bytes)): ModuleRecord {
  const code = err instanceof SealwatchError ? err.code : 'INTERNAL';
  return {
    file: fileBlock(facts, digests),
    module: { format, arch: [], kind: undefined, version: { file: undefined, product: undefined } },
    code_signature: UNSIGNED,
    error: { code, message: `${facts.path}: ${errorMessage(err)}` },
  };
}

/**
 * Inspects one file's bytes. Pure apart from hashing: the caller reads the file and passes the time in.
 * Never throws: whatever goes wrong becomes the record's `error`, and the record is kept.
 */
export function inspectBytes(facts: FileFacts, bytes: Uint8Array, ctx: InspectContext): ModuleRecord {
  const format = sniffFormat(bytes.subarray(0, 16));
  try {
    return inspectAs(format, facts, bytes, ctx);
  } catch (err) {
    return malformed(facts, bytes, format, err);
  }
}

function inspectAs(format: ReturnType<typeof sniffFormat>, facts: FileFacts, bytes: Uint8Array, ctx: InspectContext): ModuleRecord {
  switch (format) {
    case 'pe':
      return inspectPe(facts, bytes, ctx);
    case 'macho':
    case 'elf':
      return inspectOther(facts, bytes, format);
    case 'p7x':
      return inspectP7x(facts, bytes, ctx);
    default:
      if (looksLikeCatalog(bytes)) return inspectCatalog(facts, bytes, ctx);
      return {
        file: fileBlock(facts, digestOnePass(bytes)),
        module: { format: 'unknown', arch: [], kind: undefined, version: { file: undefined, product: undefined } },
        code_signature: UNSIGNED,
      };
  }
}
