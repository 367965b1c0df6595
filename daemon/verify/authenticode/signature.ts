// One Authenticode signature (SignedData over SpcIndirectDataContent) and, recursively, the signatures nested in its
// unsigned attributes (VERIFY-NOTES A4–A8). Every problem is collected; nothing stops at the first.
import {
  type CertificateInfo,
  type SignerInfo,
  type DigestName,
  type SignedData,
  type SpcIndirectData,
  findAttribute,
  OID,
  parseContentInfoSignedData,
  parseSpcIndirectData,
  parseSpcSpOpusInfo,
  sameBytes,
} from '../../formats/cms/index.ts';
import { buildChain, type ChainContext } from '../chain/build.ts';
import { digestName } from '../crypto.ts';
import { caughtProblem, problem, rethrowUnexpected, type Problem } from '../problems.ts';
import { besideBytes, TIMESTAMP_ATTRIBUTES, unreadParts, unrelatedCertificates, unvouchedAttributes, verifyTimestamps } from '../cms-unvouched.ts';
import { unvouchedNested } from './nested.ts';
import { checkSignerInfo, findSignerCertificate, verifyCountersignature, verifyRfc3161, type TimestampReport } from './timestamp.ts';

const MAX_NESTING = 4;
const MAX_SIGNATURES = 16;
const KNOWN_UNSIGNED = new Set<string>([
  OID.nestedSignature,
  OID.msRfc3161Timestamp,
  OID.countersignature,
  OID.timeStampToken,
  OID.sealingSignature,
  OID.sealingTimestamp,
]);

export interface AuthenticodeSignature {
  /** "0" for the first WIN_CERTIFICATE entry's signature, "0.1" for its first nested signature, … */
  readonly label: string;
  readonly nested: boolean;
  readonly digestAlgorithm: DigestName | undefined;
  readonly digestAlgorithmOid: string;
  /** The image digest the signature claims (DigestInfo) and the one we computed. */
  readonly signedDigest: string;
  readonly computedDigest: string | undefined;
  readonly digestMatches: boolean;
  /** Which image-digest procedure matched the signed digest (VERIFY-NOTES A2): the straight pass or the PE/COFF
   * spec's section-by-section one; undefined when none matched or none was computed. */
  readonly digestMethod: DigestMethod | undefined;
  readonly signer: CertificateInfo | undefined;
  readonly chain: readonly CertificateInfo[];
  readonly programName?: string;
  readonly moreInfo?: string;
  readonly timestamp: TimestampReport | undefined;
  /** Page hashes carried by the signature, and whether the file's pages match them. */
  readonly pageHashes: { readonly version: 1 | 2; readonly pages: number; readonly verified: boolean } | undefined;
  readonly valid: boolean;
  readonly trusted: boolean;
  readonly problems: readonly Problem[];
  /** Bytes of this signature nothing vouches for though they are tolerated: unsigned attributes outside nested
   * signatures, CRLs, certificates beside its chains. verify/authenticode/pe.ts bounds them per file. */
  readonly unvouchedBytes: number;
  /** Bytes of the signatures nested in this one (signtool /as): what of its encoding is not its own. */
  readonly nestedBytes?: number;
}

export type DigestMethod = 'straight' | 'sections';

export interface SignatureContext extends ChainContext {
  /** Reference time when there is no trusted timestamp: the scan's time, passed in (never read from a clock here). */
  readonly now: Date;
  /** Authentihash of the file under a digest algorithm; absent for detached signatures (.p7x) whose content is elsewhere. */
  readonly imageDigest: ((name: DigestName) => Uint8Array) | undefined;
  /** The PE/COFF spec's section-by-section image digest, where the sections leave gaps (else undefined). */
  readonly sectionImageDigest?: (name: DigestName) => Uint8Array | undefined;
  /** Recomputes the page-hash table of the file (PE only). */
  readonly pageHashTable?: (digest: 'sha1' | 'sha256') => Uint8Array;
}

/** Verifies the SignedData and every signature nested in it; returns them flattened, outer first. */
export function verifyAuthenticodeSignedData(sd: SignedData, label: string, ctx: SignatureContext, depth = 0, budget = { left: MAX_SIGNATURES }): AuthenticodeSignature[] {
  const problems: Problem[] = [];
  const out: AuthenticodeSignature[] = [];
  budget.left--;
  let spc: SpcIndirectData | undefined;
  if (sd.contentType !== OID.spcIndirectData) {
    problems.push(problem('CONTENT_TYPE_MISMATCH', `SignedData content type is ${sd.contentType}, not SpcIndirectDataContent`, label));
  } else if (!sd.content) {
    problems.push(problem('SIGNATURE_MALFORMED', 'SignedData has no SpcIndirectDataContent', label));
  } else {
    try {
      spc = parseSpcIndirectData(sd.content);
    } catch (err) {
      problems.push(caughtProblem(err, 'SIGNATURE_MALFORMED', 'SpcIndirectDataContent', label));
    }
  }
  const signer = sd.signerInfos[0];
  if (sd.signerInfos.length !== 1) problems.push(problem('SIGNATURE_STRUCTURE', `SignedData has ${sd.signerInfos.length} SignerInfos; Authenticode requires exactly one`, label));
  if (spc && ctx.imageDigest && spc.dataType !== OID.spcPeImageData) {
    // Neither Windows nor UEFI firmware (EDK2, shim) checks this OID; Debian's Secure Boot signer writes …2.1.21 on
    // its fwupd images and firmware boots them. The digest below still decides integrity (VERIFY-NOTES A4).
    problems.push(problem('UNEXPECTED_INDIRECT_DATA_TYPE', `signed data type ${spc.dataType} is not SpcPeImageData (1.3.6.1.4.1.311.2.1.15); verifiers ignore it`, label));
  }
  const algOid = spc?.digestAlgorithm.oid ?? signer?.digestAlgorithm.oid ?? 'unknown';
  const dName = spc ? digestName(spc.digestAlgorithm) : undefined;
  if (signer && spc && signer.digestAlgorithm.oid !== spc.digestAlgorithm.oid) {
    // Each digest is checked under its own algorithm (the image under DigestInfo's, the content under the signer's):
    // the disagreement is untidy, not a reason the file cannot be verified.
    problems.push(problem('DIGEST_ALGORITHM_INCONSISTENT', 'SignerInfo digest algorithm differs from the DigestInfo algorithm', label));
  }
  if (sd.digestAlgorithms.length !== 1 || (signer && sd.digestAlgorithms[0]?.oid !== signer.digestAlgorithm.oid)) {
    problems.push(problem('DIGEST_ALGORITHM_INCONSISTENT', 'SignedData.digestAlgorithms should hold exactly the signer\'s algorithm', label));
  }
  if (dName === 'md5' || dName === 'sha1') problems.push(problem('WEAK_DIGEST', `image digest uses ${dName.toUpperCase()}`, label));

  // 1. The file: our image digest against the one the signature carries.
  let computed: Uint8Array | undefined;
  let digestMethod: DigestMethod | undefined;
  if (spc && ctx.imageDigest) {
    if (!dName) problems.push(problem('UNSUPPORTED_ALGORITHM', `image digest algorithm ${spc.digestAlgorithm.oid} is not supported`, label));
    else {
      computed = ctx.imageDigest(dName);
      if (sameBytes(computed, spc.digest)) digestMethod = 'straight';
      else {
        // Where sections leave gaps, the PE/COFF spec's procedure hashes other bytes; either one proves the image.
        const sections = ctx.sectionImageDigest?.(dName);
        if (sections && sameBytes(sections, spc.digest)) {
          computed = sections;
          digestMethod = 'sections';
        } else {
          const both = sections ? ' (neither the straight pass nor the section-by-section procedure)' : '';
          problems.push(problem('DIGEST_MISMATCH', `the file's ${dName} image digest does not match the signed one${both}: the file was changed after signing`, label));
        }
      }
    }
  }
  let pageHashes: AuthenticodeSignature['pageHashes'];
  if (spc?.pageHashes && ctx.pageHashTable) {
    const digest = spc.pageHashes.version === 1 ? 'sha1' : 'sha256';
    const verified = sameBytes(ctx.pageHashTable(digest), spc.pageHashes.table);
    pageHashes = { version: spc.pageHashes.version, pages: spc.pageHashes.table.length / ((digest === 'sha1' ? 20 : 32) + 4) - 1, verified };
    if (!verified) problems.push(problem('PAGE_HASH_MISMATCH', `the file's ${digest} page hashes do not match the signed page-hash table`, label));
  }
  // 2. The signer: its certificate, the signed attributes and the signature over them.
  const cert = signer && findSignerCertificate(signer, sd.certificates);
  if (signer && !cert) problems.push(problem('SIGNER_CERT_MISSING', 'the signer certificate is not in the signature', label));
  if (signer && cert && sd.contentDigestInput) {
    if (!signer.signedAttrsRaw) problems.push(problem('SIGNATURE_STRUCTURE', 'SignerInfo has no signed attributes', label));
    const check = checkSignerInfo(signer, cert, sd.contentDigestInput, OID.spcIndirectData);
    for (const reason of check.reasons) {
      const code = check.unsupported
        ? 'UNSUPPORTED_ALGORITHM'
        : reason.startsWith('messageDigest')
          ? 'MESSAGE_DIGEST_MISMATCH'
          : reason.startsWith('contentType')
            ? 'CONTENT_TYPE_MISMATCH'
            : reason.includes('explicit EC')
              ? 'EXPLICIT_CURVE'
              : 'SIGNER_SIGNATURE_INVALID';
      problems.push(problem(code, reason, label));
    }
  }
  const opus = signer && findAttribute(signer.signedAttrs, OID.spcSpOpusInfo)?.values[0];
  let programName: string | undefined;
  let moreInfo: string | undefined;
  if (opus) {
    try {
      ({ programName, moreInfo } = parseSpcSpOpusInfo(opus));
    } catch (err) {
      rethrowUnexpected(err); // SpcSpOpusInfo is informational only.
    }
  }

  // 3. Unsigned attributes: timestamps, nested signatures, and anything else (reported: unauthenticated data). The
  // first timestamp dates the signature; every one is verified, and one that is not this signature's is hidden data.
  problems.push(...unreadParts(sd, signer, label), ...unvouchedAttributes(signer?.unsignedAttrs ?? [], KNOWN_UNSIGNED, label));
  const timestamps = verifyTimestamps(signer, TIMESTAMP_ATTRIBUTES, label, (oid, value, s, tsLabel) =>
    oid === OID.countersignature ? verifyCountersignature(value, s.signature, sd.certificates, tsLabel, ctx) : verifyRfc3161(value, s.signature, tsLabel, ctx),
  );
  const timestamp: TimestampReport | undefined = timestamps.first;
  const timestampChains = timestamps.chains;
  problems.push(...timestamps.problems);
  const nested = (signer?.unsignedAttrs ?? []).filter((a) => a.oid === OID.nestedSignature);
  if (timestamp) problems.push(...timestamp.problems);

  // 4. The chain, judged at the verified timestamp unless the leaf has the lifetime-signing EKU.
  let chainPath: readonly CertificateInfo[] = cert ? [cert] : [];
  let chainTrusted = false;
  if (cert) {
    const lifetime = cert.extendedKeyUsages?.includes(OID.ekuLifetimeSigning) === true;
    const useTimestamp = timestamp?.trusted === true && timestamp.time !== undefined && !lifetime;
    const at = useTimestamp && timestamp?.time ? timestamp.time : ctx.now;
    const chain = buildChain({ leaf: cert, pool: sd.certificates, purpose: OID.ekuCodeSigning, at, label }, ctx);
    for (const p of chain.problems) {
      const lifetimeExpired = p.code === 'CERT_EXPIRED' && lifetime && timestamp?.trusted;
      problems.push(
        lifetimeExpired
          ? problem('LIFETIME_SIGNING_EXPIRED', `${p.message}; the signer has the lifetime-signing EKU, so its timestamp does not extend validity`, label)
          : p,
      );
    }
    chainPath = chain.path;
    chainTrusted = chain.trusted;
    problems.push(...unrelatedCertificates(sd.certificates, [chain.path, ...timestampChains], label, ctx, besideBytes(sd, false)));
  }

  const own = problems.filter((p) => p.signature === label);
  const digestChecked = computed !== undefined || ctx.imageDigest === undefined;
  const valid = signer !== undefined && spc !== undefined && digestChecked && !own.some((p) => p.severity === 'integrity');
  const trusted = valid && chainTrusted && !own.some((p) => p.severity === 'trust');
  const self: AuthenticodeSignature = {
    label,
    nested: depth > 0,
    digestAlgorithm: dName,
    digestAlgorithmOid: algOid,
    signedDigest: spc ? Buffer.from(spc.digest).toString('hex') : '',
    computedDigest: computed ? Buffer.from(computed).toString('hex') : undefined,
    digestMatches: computed !== undefined && spc !== undefined && sameBytes(computed, spc.digest),
    digestMethod,
    signer: cert,
    chain: chainPath,
    ...(programName === undefined ? {} : { programName }),
    ...(moreInfo === undefined ? {} : { moreInfo }),
    timestamp,
    pageHashes,
    valid,
    trusted,
    problems,
    unvouchedBytes: unvouchedBytesOf(sd, signer, [chainPath, ...timestampChains]),
    nestedBytes: nested.flatMap((a) => a.values).reduce((n, v) => n + v.raw.length, 0),
  };
  out.push(self);

  // 5. Nested signatures (signtool /as), each a full ContentInfo, verified against the file under its own algorithm.
  let n = 0;
  for (const attr of nested) {
    for (const value of attr.values) {
      const nestedLabel = `${label}.${++n}`;
      if (depth + 1 > MAX_NESTING || budget.left <= 0) {
        out.push(failed(nestedLabel, problem('SIGNATURE_STRUCTURE', 'too many nested signatures', nestedLabel)));
        problems.push(problem('NESTED_SIGNATURE_UNVOUCHED', `nested signature ${nestedLabel} (${value.raw.length} bytes) is past the limit of ${MAX_SIGNATURES} signatures: not verified, so nothing vouches for it`, label));
        continue;
      }
      try {
        const { signedData } = parseContentInfoSignedData(value.raw);
        const inner = verifyAuthenticodeSignedData(signedData, nestedLabel, ctx, depth + 1, budget);
        out.push(...inner);
        const unvouched = inner[0] && (unvouchedNested(self, inner[0], value.raw.length) ?? duplicateOf(inner[0], out.slice(0, -inner.length), value.raw.length));
        if (unvouched) problems.push(unvouched);
      } catch (err) {
        const broken = failed(nestedLabel, caughtProblem(err, 'SIGNATURE_MALFORMED', 'nested signature', nestedLabel));
        out.push(broken);
        const unvouched = unvouchedNested(self, broken, value.raw.length);
        if (unvouched) problems.push(unvouched);
      }
    }
  }
  return out;
}

/**
 * A nested signature by the same certificate under the same digest algorithm as one already there: no signing tool
 * writes one (dual signing uses another algorithm), and each copy is room of its own for unsigned attributes.
 */
function duplicateOf(inner: AuthenticodeSignature, earlier: readonly AuthenticodeSignature[], size: number): Problem | undefined {
  if (!inner.signer) return undefined;
  const same = earlier.find((e) => e.signer?.sha256 === inner.signer?.sha256 && e.digestAlgorithmOid === inner.digestAlgorithmOid);
  return same && problem('NESTED_SIGNATURE_UNVOUCHED', `nested signature ${inner.label} (${size} bytes) repeats signature ${same.label} (same certificate, same digest algorithm): a copy is room of its own for unsigned data`, same.label);
}

/** What unvouchedBytes counts: see AuthenticodeSignature. */
function unvouchedBytesOf(sd: SignedData, signer: SignerInfo | undefined, paths: readonly (readonly CertificateInfo[])[]): number {
  const onPath = new Set(paths.flat().map((c) => c.sha256));
  const attributes = (signer?.unsignedAttrs ?? []).reduce((sum, a) => sum + (a.oid === OID.nestedSignature ? a.unread : a.size), 0);
  return attributes + besideBytes(sd, true) + sd.certificates.filter((c) => !onPath.has(c.sha256)).reduce((sum, c) => sum + c.der.length, 0);
}

/** A signature that could not be read at all. */
export function failed(label: string, p: Problem): AuthenticodeSignature {
  return {
    label,
    nested: label.includes('.'),
    digestAlgorithm: undefined,
    digestAlgorithmOid: 'unknown',
    signedDigest: '',
    computedDigest: undefined,
    digestMatches: false,
    digestMethod: undefined,
    signer: undefined,
    chain: [],
    timestamp: undefined,
    pageHashes: undefined,
    valid: false,
    trusted: false,
    problems: [p],
    unvouchedBytes: 0,
  };
}

