// Verifies the code signature of one Mach-O slice (VERIFY-NOTES B2–B9): every CodeDirectory's code pages and special
// slots, the cdhashes, the CMS signature over the slot-0 CodeDirectory with its cdhash attributes and timestamp, the
// chain to pinned Apple roots, and the Team ID. Ad-hoc and linker-signed are their own states, never "signed".
import { createHash, hash } from 'node:crypto';
import {
  type Attribute,
  type CertificateInfo,
  findAttribute,
  OID,
  parseContentInfoSignedData,
  sameBytes,
  type SignedData,
} from '../../formats/cms/index.ts';
import { DIGEST_BY_OID } from '../../formats/cms/oids.ts';
import { type MachoLoadInfo, versionString } from '../../formats/macho/load-commands.ts';
import {
  blobPayload,
  CS_ADHOC,
  CS_FORCE_EXPIRATION,
  CS_LINKER_SIGNED,
  CSSLOT,
  flagNames,
  HASH_RANK,
  parseEmbeddedSignature,
  specialSlotHash,
  type CdHashType,
  type CodeDirectory,
  type EmbeddedSignature,
} from '../../formats/macho/code-signature.ts';
import { decodeRequirementSet } from '../../formats/macho/requirements.ts';
import { isAllZero } from '../../formats/bytes/reader.ts';
import { parseDerEntitlements } from '../../formats/macho/der-entitlements.ts';
import { parsePlistDetailed, parsePlistDict } from '../../formats/plist/index.ts';
import { errorMessage } from '../../shared/errors.ts';
import { checkSignerInfo, findSignerCertificate, verifyRfc3161, type TimestampReport } from '../authenticode/timestamp.ts';
import { besideBytes, unreadParts, unrelatedCertificates, unvouchedAttributes, verifyTimestamps } from '../cms-unvouched.ts';
import { buildChain, type ChainContext } from '../chain/build.ts';
import { caughtProblem, problem, rethrowUnexpected, type Problem } from '../problems.ts';
import { appleCertKind, teamIdOf, type AppleCertKind } from './cert-kind.ts';
import { signatureAreaProblems } from './signature-area.ts';

export type SliceStatus = 'signed' | 'adhoc' | 'linker-signed' | 'unsigned' | 'invalid';

export interface CodeDirectoryReport {
  readonly slot: number;
  readonly version: string;
  readonly hashType: CdHashType | 'unknown';
  readonly pages: number;
  readonly pagesMatch: boolean;
  /** Full-length hash of the CodeDirectory blob. */
  readonly cdhashFull: string;
}

export interface SliceSignatureReport {
  readonly label: string;
  readonly arch: string;
  readonly status: SliceStatus;
  readonly identifier: string | undefined;
  readonly teamId: string | undefined;
  readonly flags: number;
  readonly flagNames: readonly string[];
  readonly runtimeVersion: string | undefined;
  /** "The" cdhash: hash of the best CodeDirectory, truncated to 20 bytes (what macOS and Santa key on). */
  readonly cdhash: string | undefined;
  readonly codeDirectories: readonly CodeDirectoryReport[];
  readonly requirements: Readonly<Record<string, string>> | undefined;
  readonly entitlements: Readonly<Record<string, unknown>> | undefined;
  readonly signer: CertificateInfo | undefined;
  readonly chain: readonly CertificateInfo[];
  readonly certKind: AppleCertKind | undefined;
  readonly timestamp: TimestampReport | undefined;
  readonly signingTime: Date | undefined;
  readonly certificateExpired: boolean;
  readonly valid: boolean;
  readonly trusted: boolean;
  readonly problems: readonly Problem[];
}

export interface SliceContext extends ChainContext {
  readonly now: Date;
  /** Bytes of the bundle's Info.plist (special slot 1) when the slice is a bundle's main executable. */
  readonly infoPlist?: Uint8Array;
  /** Raw bytes of the bundle's _CodeSignature/CodeResources (special slot 3). */
  readonly codeResources?: Uint8Array;
}

/** The one unsigned attribute Apple's signers write: the secure timestamp. */
const APPLE_TIMESTAMP: ReadonlySet<string> = new Set([OID.timeStampToken]);

const DIGEST_OF: Record<CdHashType, { alg: 'sha1' | 'sha256' | 'sha384'; length?: number }> = {
  sha1: { alg: 'sha1' },
  sha256: { alg: 'sha256' },
  'sha256-truncated': { alg: 'sha256', length: 20 },
  sha384: { alg: 'sha384' },
};

const DIGEST_BYTES = { sha1: 20, sha256: 32, sha384: 48 } as const;

function hashWith(type: CdHashType, data: Uint8Array): Buffer {
  const d = DIGEST_OF[type];
  const h = createHash(d.alg).update(data).digest();
  return d.length ? h.subarray(0, d.length) : h;
}

const versionHex = (v: number): string => `0x${v.toString(16)}`;

/** Unsigned slice: nothing to check (also the base of a slice that could not be read). */
export function unsignedReport(label: string, arch: string): SliceSignatureReport {
  return {
    label, arch, status: 'unsigned', identifier: undefined, teamId: undefined, flags: 0, flagNames: [], runtimeVersion: undefined,
    cdhash: undefined, codeDirectories: [], requirements: undefined, entitlements: undefined, signer: undefined, chain: [],
    certKind: undefined, timestamp: undefined, signingTime: undefined, certificateExpired: false, valid: false, trusted: false, problems: [],
  };
}

export function verifySlice(slice: Uint8Array, load: MachoLoadInfo, label: string, ctx: SliceContext): SliceSignatureReport {
  if (!load.codeSignature) return unsignedReport(label, load.arch);
  const problems: Problem[] = [];
  const fail = (message: string, err?: unknown): SliceSignatureReport => ({
    ...unsignedReport(label, load.arch),
    status: 'invalid',
    problems: [...problems, err === undefined ? problem('CODESIGN_MALFORMED', message, label) : caughtProblem(err, 'CODESIGN_MALFORMED', 'code signature', label)],
  });
  const { dataoff, datasize } = load.codeSignature;
  if (dataoff + datasize > slice.length) return fail(`LC_CODE_SIGNATURE [${dataoff}, +${datasize}) runs past the slice (${slice.length} bytes)`);
  let sig: EmbeddedSignature;
  try {
    sig = parseEmbeddedSignature(slice.subarray(dataoff, dataoff + datasize));
  } catch (err) {
    return fail(errorMessage(err), err);
  }
  const cds = sig.codeDirectories;
  const primary = cds.find((c) => c.slot === CSSLOT.codeDirectory);
  if (!primary) return fail('no CodeDirectory in slot 0');

  // 1. Every CodeDirectory: code pages and special slots (VERIFY-NOTES B4–B6).
  const reports: CodeDirectoryReport[] = [];
  for (const cd of cds) {
    const where = `CodeDirectory ${cd.slot === 0 ? 0 : `0x${cd.slot.toString(16)}`}`;
    if (!cd.hashType || cd.hashSize !== hashWith(cd.hashType, new Uint8Array()).length) {
      problems.push(problem('CODESIGN_MALFORMED', `${where}: hash type ${cd.hashTypeCode} / size ${cd.hashSize} is not supported`, label));
      reports.push({ slot: cd.slot, version: versionHex(cd.version), hashType: 'unknown', pages: cd.nCodeSlots, pagesMatch: false, cdhashFull: '' });
      continue;
    }
    const pagesMatch = checkPages(slice, cd, where, label, problems);
    checkSpecialSlots(cd, sig, load, ctx, where, label, problems);
    reports.push({ slot: cd.slot, version: versionHex(cd.version), hashType: cd.hashType, pages: cd.nCodeSlots, pagesMatch, cdhashFull: hashWith(cd.hashType, cd.bytes).toString('hex') });
  }
  if (primary.codeLimit !== dataoff) {
    problems.push(problem('CODE_LIMIT_MISMATCH', `codeLimit ${primary.codeLimit} is not the signature's offset ${dataoff}: ${Math.abs(dataoff - primary.codeLimit)} bytes are not covered by page hashes`, label));
  }
  const best = [...cds].filter((c) => c.hashType).sort((a, b) => HASH_RANK[b.hashType as CdHashType] - HASH_RANK[a.hashType as CdHashType])[0] ?? primary;
  const cdhash = best.hashType ? hashWith(best.hashType, best.bytes).subarray(0, 20).toString('hex') : undefined;

  // Requirements and entitlements are informational: their bytes are bound by special slots 2, 5 and 7, which
  // checkSpecialSlots verified above (SPECIAL_SLOT_MISMATCH when not). Failing to decode them is a warning, never
  // "invalid" — the signature covers the bytes whatever a decoder makes of them.
  const requirementsBlob = sig.blobs.find((b) => b.type === CSSLOT.requirements);
  let requirements: Record<string, string> | undefined;
  if (requirementsBlob) {
    try {
      requirements = { ...decodeRequirementSet(requirementsBlob.bytes).byType };
    } catch (err) {
      rethrowUnexpected(err);
      problems.push(problem('SIGNED_METADATA_UNREADABLE', `requirements cannot be decoded to text: ${errorMessage(err)}${boundBy(cds, CSSLOT.requirements)}`, label));
    }
  }
  const entitlements = readEntitlements(sig, cds, label, problems);

  // 2. The CMS signature (slot 0x10000). Empty or absent = no signer identity.
  const flags = primary.flags;
  const cmsBlob = sig.blobs.find((b) => b.type === CSSLOT.signature);
  const cms = cmsBlob ? blobPayload(cmsBlob) : new Uint8Array();
  const base = {
    label, arch: load.arch, identifier: primary.identifier, teamId: primary.teamId, flags, flagNames: flagNames(flags),
    runtimeVersion: primary.runtime ? versionString(primary.runtime) : undefined, cdhash, codeDirectories: reports, requirements, entitlements,
  };
  const integrityOk = (): boolean => !problems.some((p) => p.severity === 'integrity');
  if (cms.length === 0 || (flags & CS_ADHOC) !== 0) {
    problems.push(...signatureAreaProblems(slice, dataoff, datasize, sig, label));
    const status: SliceStatus = !integrityOk() ? 'invalid' : (flags & CS_LINKER_SIGNED) !== 0 ? 'linker-signed' : 'adhoc';
    if (cms.length > 0) problems.push(problem('CODESIGN_MALFORMED', 'ad-hoc flag set but a CMS signature is present', label));
    return { ...base, status, signer: undefined, chain: [], certKind: undefined, timestamp: undefined, signingTime: undefined, certificateExpired: false, valid: integrityOk(), trusted: false, problems };
  }

  let sd: SignedData;
  try {
    const parsed = parseContentInfoSignedData(cms);
    sd = parsed.signedData;
    problems.push(...signatureAreaProblems(slice, dataoff, datasize, sig, label, cms.subarray(parsed.encodedLength)));
  } catch (err) {
    problems.push(...signatureAreaProblems(slice, dataoff, datasize, sig, label));
    problems.push(caughtProblem(err, 'SIGNATURE_MALFORMED', 'CMS', label));
    return { ...base, status: 'invalid', signer: undefined, chain: [], certKind: undefined, timestamp: undefined, signingTime: undefined, certificateExpired: false, valid: false, trusted: false, problems };
  }
  const signer = sd.signerInfos[0];
  if (sd.signerInfos.length !== 1 || !signer) problems.push(problem('SIGNATURE_STRUCTURE', `CMS has ${sd.signerInfos.length} signers`, label));
  const cert = signer && findSignerCertificate(signer, sd.certificates);
  if (signer && !cert) problems.push(problem('SIGNER_CERT_MISSING', 'the signing certificate is not in the CMS blob', label));
  if (signer && cert) {
    // Detached signature over the slot-0 CodeDirectory (not the best one: VERIFY-NOTES B6/B7).
    const check = checkSignerInfo(signer, cert, primary.bytes, OID.data);
    for (const reason of check.reasons) {
      problems.push(problem(reason.startsWith('messageDigest') ? 'MESSAGE_DIGEST_MISMATCH' : check.unsupported ? 'UNSUPPORTED_ALGORITHM' : 'SIGNER_SIGNATURE_INVALID', reason, label));
    }
    checkCdHashAttributes(signer.signedAttrs, cds, label, problems);
  }
  const signingTime = signer ? safe(() => findAttribute(signer.signedAttrs, OID.signingTime)?.values[0]?.time('signingTime')) : undefined;
  // The parts of the CMS no signature covers: Apple puts only the secure timestamp there (and signs detached).
  problems.push(...unreadParts(sd, signer, label), ...unvouchedAttributes(signer?.unsignedAttrs ?? [], APPLE_TIMESTAMP, label));
  if (sd.contentDigestInput && sd.contentDigestInput.length > 0) {
    problems.push(problem('SIGNATURE_UNVOUCHED_DATA', `${sd.contentDigestInput.length} bytes of content inside the detached signature, which signs the CodeDirectory instead`, label));
  }
  const timestamps = verifyTimestamps(signer, APPLE_TIMESTAMP, label, (_oid, value, s, tsLabel) => verifyRfc3161(value, s.signature, tsLabel, ctx));
  const timestamp: TimestampReport | undefined = timestamps.first;
  const timestampChains = timestamps.chains;
  problems.push(...timestamps.problems);
  if (timestamp) problems.push(...timestamp.problems);

  // 3. Chain to the pinned Apple roots, at the secure timestamp if there is one.
  let chain: readonly CertificateInfo[] = cert ? [cert] : [];
  let chainTrusted = false;
  let certificateExpired = false;
  if (cert) {
    const secureTime = timestamp?.trusted && timestamp.time ? timestamp.time : undefined;
    const req = { leaf: cert, pool: sd.certificates, purpose: OID.ekuCodeSigning, at: secureTime ?? ctx.now, label };
    let result = buildChain(req, ctx);
    const expired = result.problems.some((p) => p.code === 'CERT_EXPIRED');
    if (expired && !secureTime && (flags & CS_FORCE_EXPIRATION) === 0) {
      // macOS accepts an expired developer certificate without a secure timestamp unless the code asks otherwise:
      // "valid, certificate expired". Judge the rest of the chain as of the earliest expiry on the path.
      const lastValid = new Date(Math.min(...result.path.map((c) => c.notAfter.getTime())));
      result = buildChain({ ...req, at: lastValid }, ctx);
      certificateExpired = true;
      problems.push(problem('CERT_EXPIRED_NO_TIMESTAMP', `the signing certificate expired ${lastValid.toISOString().slice(0, 10)} and there is no secure timestamp; macOS accepts it (no FORCE_EXPIRATION flag)`, label));
    }
    problems.push(...result.problems);
    chain = result.path;
    chainTrusted = result.trusted;
    problems.push(...unrelatedCertificates(sd.certificates, [chain, ...timestampChains], label, ctx, besideBytes(sd, false)));
    const leafTeam = teamIdOf(cert);
    if (primary.teamId !== undefined && leafTeam !== primary.teamId) {
      problems.push(problem('TEAM_ID_MISMATCH', `CodeDirectory team ID ${primary.teamId} differs from the signing certificate's ${leafTeam ?? '(none)'}`, label));
    }
  }
  const valid = integrityOk() && cert !== undefined;
  return {
    ...base,
    // CodeDirectories before 0x20200 cannot carry a team ID: take the leaf's OU then, except for Apple's own software
    // (which has none). A newer CD without one is "signed without a team ID", whatever the certificate says.
    teamId: primary.teamId ?? (valid && primary.version < 0x20200 && appleCertKind(chain) !== 'apple-software' ? teamIdOf(cert) : undefined),
    status: valid ? 'signed' : 'invalid',
    signer: cert,
    chain,
    certKind: cert ? appleCertKind(chain) : undefined,
    timestamp,
    signingTime,
    certificateExpired,
    valid,
    trusted: valid && chainTrusted && !problems.some((p) => p.severity === 'trust'),
    problems,
  };
}

/** Says whether a CodeDirectory binds the blob by a special-slot hash (whether the bytes match it is checked, and
 * reported as SPECIAL_SLOT_MISMATCH, by checkSpecialSlots). */
function boundBy(cds: readonly CodeDirectory[], slot: number): string {
  const bound = cds.some((cd) => cd.nSpecialSlots >= slot && !isAllZero(specialSlotHash(cd, slot) ?? new Uint8Array()));
  return bound ? `; its bytes are bound by special slot ${slot}` : '; no CodeDirectory binds it';
}

/**
 * Entitlements as macOS reads them: the XML blob (slot 5) parsed as CoreFoundation parses it (leading whitespace,
 * trailing bytes after </plist> tolerated), else the DER blob (slot 7) that codesign writes beside it.
 */
function readEntitlements(sig: EmbeddedSignature, cds: readonly CodeDirectory[], label: string, problems: Problem[]): Record<string, unknown> | undefined {
  const xml = sig.blobs.find((b) => b.type === CSSLOT.entitlements);
  const der = sig.blobs.find((b) => b.type === CSSLOT.entitlementsDer);
  const failures: string[] = [];
  if (xml) {
    try {
      const { value } = parsePlistDetailed(blobPayload(xml), 'entitlements');
      if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array || value instanceof Date) {
        throw new Error('top level is not a dictionary');
      }
      return { ...(value as Record<string, unknown>) };
    } catch (err) {
      rethrowUnexpected(err);
      failures.push(`XML entitlements${boundBy(cds, CSSLOT.entitlements)}: ${errorMessage(err)}`);
    }
  }
  if (der) {
    try {
      const value = { ...parseDerEntitlements(blobPayload(der)) };
      if (failures.length > 0) problems.push(problem('SIGNED_METADATA_UNREADABLE', `${failures.join('; ')}; read the DER entitlements (slot 7) instead`, label));
      return value;
    } catch (err) {
      rethrowUnexpected(err);
      failures.push(`DER entitlements${boundBy(cds, CSSLOT.entitlementsDer)}: ${errorMessage(err)}`);
    }
  }
  if (failures.length > 0) problems.push(problem('SIGNED_METADATA_UNREADABLE', `entitlements cannot be decoded: ${failures.join('; ')}`, label));
  return undefined;
}

function safe<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (err) {
    rethrowUnexpected(err);
    return undefined;
  }
}

/** Code slot i = H(slice[i·page, min((i+1)·page, codeLimit))); the last page is not padded (VERIFY-NOTES B4). */
function checkPages(slice: Uint8Array, cd: CodeDirectory, where: string, label: string, problems: Problem[]): boolean {
  const type = cd.hashType as CdHashType;
  if (cd.codeLimit > slice.length) {
    problems.push(problem('CODESIGN_MALFORMED', `${where}: codeLimit ${cd.codeLimit} is past the end of the slice`, label));
    return false;
  }
  const page = cd.pageSizeLog2 === 0 ? cd.codeLimit : 2 ** cd.pageSizeLog2;
  const expected = cd.codeLimit === 0 ? 0 : Math.floor((cd.codeLimit - 1) / page) + 1;
  if (cd.nCodeSlots !== expected) {
    problems.push(problem('CODESIGN_MALFORMED', `${where}: ${cd.nCodeSlots} code slots for codeLimit ${cd.codeLimit} (expected ${expected})`, label));
    return false;
  }
  const bad: number[] = [];
  // One-shot digests compared in place: this runs once per 4 KiB page of every Mach-O, and a Hash object plus two
  // views per page cost more than the hashing of the page itself.
  const { alg, length } = DIGEST_OF[type];
  const size = length ?? DIGEST_BYTES[alg];
  const stored = Buffer.from(cd.bytes.buffer, cd.bytes.byteOffset, cd.bytes.byteLength);
  for (let i = 0, at = cd.hashOffset; i < cd.nCodeSlots; i++, at += cd.hashSize) {
    const digest = hash(alg, slice.subarray(i * page, Math.min((i + 1) * page, cd.codeLimit)), 'buffer');
    if (cd.hashSize !== size || at + size > stored.length || digest.compare(stored, at, at + size, 0, size) !== 0) bad.push(i);
  }
  if (bad.length > 0) {
    problems.push(problem('CODE_PAGE_MISMATCH', `${where}: ${bad.length} of ${cd.nCodeSlots} code pages differ from their signed hashes (first: page ${bad[0]}, offset ${(bad[0] ?? 0) * page})`, label));
  }
  return bad.length === 0;
}

const SPECIAL_NAMES: Record<number, string> = { 1: 'Info.plist', 2: 'requirements', 3: 'CodeResources', 4: 'application data', 5: 'entitlements', 6: 'DMG data', 7: 'DER entitlements' };

function checkSpecialSlots(cd: CodeDirectory, sig: EmbeddedSignature, load: MachoLoadInfo, ctx: SliceContext, where: string, label: string, problems: Problem[]): void {
  const type = cd.hashType as CdHashType;
  for (let n = 1; n <= cd.nSpecialSlots; n++) {
    const stored = specialSlotHash(cd, n);
    if (!stored || isAllZero(stored)) continue; // absent placeholder
    let source: Uint8Array | undefined;
    if (n === CSSLOT.infoPlist) source = ctx.infoPlist ?? load.infoPlist;
    else if (n === CSSLOT.resourceDir) source = ctx.codeResources;
    else source = sig.blobs.find((b) => b.type === n)?.bytes;
    const name = SPECIAL_NAMES[n] ?? `special slot ${n}`;
    if (!source) {
      problems.push(problem('SEAL_NOT_CHECKED', `${where}: the ${name} it seals is not available here (${n === 3 ? 'a bundle executable inspected outside its bundle' : 'missing'})`, label));
      continue;
    }
    if (!sameBytes(hashWith(type, source), stored)) {
      problems.push(problem('SPECIAL_SLOT_MISMATCH', `${where}: the ${name} differs from what was signed`, label));
    }
  }
}

/**
 * Signed attributes 1.2.840.113635.100.9.1 (plist of truncated cdhashes) and .9.2 (hash OID + full cdhash) bind
 * every CodeDirectory to the one signature; without them an alternate CodeDirectory could be swapped.
 */
function checkCdHashAttributes(attrs: readonly Attribute[], cds: readonly CodeDirectory[], label: string, problems: Problem[]): void {
  const known = new Set<string>();
  for (const cd of cds) if (cd.hashType) {
    known.add(hashWith(cd.hashType, cd.bytes).toString('hex'));
    known.add(hashWith(cd.hashType, cd.bytes).subarray(0, 20).toString('hex'));
  }
  const signed = new Set<string>();
  const list = findAttribute(attrs, OID.appleCdHashes)?.values[0];
  if (list) {
    try {
      const parsed = parsePlistDict(list.octets('cdhashes plist'), 'cdhashes attribute');
      const hashes = Array.isArray(parsed.cdhashes) ? parsed.cdhashes : [];
      for (const h of hashes) {
        if (!(h instanceof Uint8Array)) continue;
        const hex = Buffer.from(h).toString('hex');
        signed.add(hex);
        if (!known.has(hex)) problems.push(problem('CDHASH_ATTRIBUTE_MISMATCH', `signed cdhash ${hex} matches no CodeDirectory`, label));
      }
    } catch (err) {
      problems.push(caughtProblem(err, 'CODESIGN_MALFORMED', 'cdhashes attribute', label));
    }
  }
  for (const value of findAttribute(attrs, OID.appleCdHashes2)?.values ?? []) {
    try {
      const [alg, hash] = value.sequence('cdhash entry');
      const oid = alg?.oid('cdhash algorithm');
      const hex = Buffer.from(hash?.octets('cdhash') ?? []).toString('hex');
      signed.add(hex);
      if (!oid || !DIGEST_BY_OID[oid] || !known.has(hex)) {
        problems.push(problem('CDHASH_ATTRIBUTE_MISMATCH', `signed ${DIGEST_BY_OID[oid ?? ''] ?? oid} cdhash ${hex.slice(0, 40)}… matches no CodeDirectory`, label));
      }
    } catch (err) {
      problems.push(caughtProblem(err, 'CODESIGN_MALFORMED', 'cdhash attribute', label));
    }
  }
  // The reverse: an alternate CodeDirectory the CMS does not list is bound by nothing (slot 0 is, by messageDigest).
  // Only where the signer lists cdhashes at all (older signatures carry one CodeDirectory and no list).
  if (signed.size === 0) return;
  for (const cd of cds) {
    if (cd.slot === CSSLOT.codeDirectory || !cd.hashType) continue;
    const full = hashWith(cd.hashType, cd.bytes);
    if (!signed.has(full.toString('hex')) && !signed.has(full.subarray(0, 20).toString('hex'))) {
      problems.push(problem('CODESIGN_UNKNOWN_BLOB', `alternate CodeDirectory 0x${cd.slot.toString(16)} is not among the cdhashes the CMS signs`, label));
    }
  }
}
