// Windows catalog files (.cat): a signed Certificate Trust List whose members are hashes of the files it vouches for
// (VERIFY-NOTES A9). Parsed and verified once, then indexed by every key a member can be looked up by.
import {
  type CertificateInfo,
  decodeExact,
  OID,
  parseContentInfoSignedData,
  parseCtl,
  parseSpcIndirectData,
  type SignedData,
} from '../../formats/cms/index.ts';
import { errorMessage, FormatError, SealwatchError } from '../../shared/errors.ts';
import { buildChain, type ChainContext } from '../chain/build.ts';
import { windowsAnchors } from '../chain/trust-store.ts';
import { digestName } from '../crypto.ts';
import { problem, rethrowUnexpected, type Problem } from '../problems.ts';
import { checkSignerInfo, findSignerCertificate, verifyCountersignature, verifyRfc3161, type TimestampReport } from '../authenticode/timestamp.ts';
import { timestampValues } from '../cms-unvouched.ts';

const LIMITS = { maxNodes: 5_000_000 };

export interface CatalogMember {
  /** The subject tag as stored: hex of raw bytes, or the decoded UTF-16 text (uppercase hex digest in old catalogs). */
  readonly tag: string;
  /** Digest from the member's SpcIndirectDataContent, lowercase hex. */
  readonly digest: string | undefined;
  readonly digestAlgorithm: string | undefined;
  /** PE image (authentihash) or flat file (plain file hash). */
  readonly kind: 'pe' | 'flat' | 'other';
}

export interface CatalogSignature {
  readonly signer: CertificateInfo | undefined;
  readonly chain: readonly CertificateInfo[];
  readonly timestamp: TimestampReport | undefined;
  readonly valid: boolean;
  readonly trusted: boolean;
  readonly problems: readonly Problem[];
}

export interface Catalog {
  readonly name: string;
  readonly subjectAlgorithm: string;
  readonly members: readonly CatalogMember[];
  readonly signature: CatalogSignature;
}

function decodeTag(identifier: Uint8Array): string {
  // Old catalogs store the digest as uppercase hex text in UTF-16LE; v2 catalogs store the raw digest bytes.
  if (identifier.length >= 40 && identifier.length % 2 === 0 && identifier[1] === 0) {
    const text = Buffer.from(identifier).toString('utf16le').replace(/\0+$/u, '');
    if (/^[0-9A-Fa-f]+$/.test(text)) return text.toLowerCase();
  }
  return Buffer.from(identifier).toString('hex');
}

export interface CatalogVerifyContext extends ChainContext {
  readonly now: Date;
}

export function parseCatalog(bytes: Uint8Array, name: string, ctx: CatalogVerifyContext): Catalog {
  try {
    return readCatalog(bytes, name, ctx);
  } catch (err) {
    if (err instanceof SealwatchError) throw err;
    // Not a typed input error: a bug. It stays INTERNAL (never relabelled MALFORMED) so tests can see it.
    throw new SealwatchError('INTERNAL', `${name}: unexpected ${err instanceof Error ? err.name : typeof err}: ${errorMessage(err)}`, { cause: err });
  }
}

function readCatalog(bytes: Uint8Array, name: string, ctx: CatalogVerifyContext): Catalog {
  const { signedData } = parseContentInfoSignedData(bytes, LIMITS);
  if (signedData.contentType !== OID.ctl || !signedData.content) {
    throw new FormatError('catalog', 'MALFORMED', `${name}: content type ${signedData.contentType} is not a certificate trust list`);
  }
  const ctl = parseCtl(decodeExact(signedData.content.raw, 'CTL', LIMITS));
  const members: CatalogMember[] = ctl.subjects.map((s) => {
    let digest: string | undefined;
    let algorithm: string | undefined;
    let kind: CatalogMember['kind'] = 'other';
    const indirect = s.attributes.find((a) => a.oid === OID.spcIndirectData)?.values[0];
    if (indirect) {
      try {
        const spc = parseSpcIndirectData(indirect);
        digest = Buffer.from(spc.digest).toString('hex');
        algorithm = digestName(spc.digestAlgorithm) ?? spc.digestAlgorithm.oid;
        kind = spc.dataType === OID.spcPeImageData ? 'pe' : 'flat';
      } catch (err) {
        rethrowUnexpected(err); // A member without a readable digest is still listed by its tag.
      }
    }
    return { tag: decodeTag(s.identifier), digest, digestAlgorithm: algorithm, kind };
  });
  return { name, subjectAlgorithm: ctl.subjectAlgorithm.oid, members, signature: verifyCatalogSignature(signedData, ctx) };
}

function verifyCatalogSignature(sd: SignedData, windowsCtx: CatalogVerifyContext): CatalogSignature {
  const label = 'catalog';
  // Catalogs are a Windows mechanism: Apple roots never anchor them.
  const ctx = { ...windowsCtx, acceptAnchor: windowsCtx.acceptAnchor ?? windowsAnchors };
  const problems: Problem[] = [];
  const signer = sd.signerInfos[0];
  if (!signer || !sd.contentDigestInput) {
    problems.push(problem('CATALOG_UNSIGNED', 'the catalog has no signer', label));
    return { signer: undefined, chain: [], timestamp: undefined, valid: false, trusted: false, problems };
  }
  const cert = findSignerCertificate(signer, sd.certificates);
  if (!cert) {
    problems.push(problem('SIGNER_CERT_MISSING', 'the catalog signer certificate is not in the catalog', label));
    return { signer: undefined, chain: [], timestamp: undefined, valid: false, trusted: false, problems };
  }
  const check = checkSignerInfo(signer, cert, sd.contentDigestInput, OID.ctl);
  for (const reason of check.reasons) {
    problems.push(problem(reason.startsWith('messageDigest') ? 'MESSAGE_DIGEST_MISMATCH' : 'SIGNER_SIGNATURE_INVALID', `catalog: ${reason}`, label));
  }
  // The first timestamp dates the catalog (a catalog is data Windows reads, not code: hidden bytes in it are not judged).
  let timestamp: TimestampReport | undefined;
  const first = timestampValues(signer)[0];
  if (first) {
    const tsLabel = `${label}/timestamp`;
    timestamp = first.oid === OID.countersignature ? verifyCountersignature(first.value, signer.signature, sd.certificates, tsLabel, ctx) : verifyRfc3161(first.value, signer.signature, tsLabel, ctx);
  }
  if (timestamp) problems.push(...timestamp.problems);
  const at = timestamp?.trusted && timestamp.time ? timestamp.time : ctx.now;
  const chain = buildChain(
    { leaf: cert, pool: sd.certificates, purpose: OID.ekuCodeSigning, alsoAcceptLeafEkus: [OID.ekuWindowsSystemComponent], at, label },
    ctx,
  );
  problems.push(...chain.problems);
  const valid = !problems.some((p) => p.severity === 'integrity');
  return { signer: cert, chain: chain.path, timestamp, valid, trusted: valid && chain.trusted, problems };
}

export interface CatalogMatch {
  readonly catalog: Catalog;
  readonly member: CatalogMember;
  /** Which of the file's digests matched. */
  readonly matchedBy: string;
}

/** Catalog members by every lookup key: the member's digest and its tag (both lowercase hex). */
export class CatalogIndex {
  private readonly byKey = new Map<string, CatalogMatch>();
  readonly catalogs: Catalog[] = [];
  readonly errors: string[] = [];

  add(catalog: Catalog): void {
    this.catalogs.push(catalog);
    for (const member of catalog.members) {
      for (const key of [member.digest, member.tag]) {
        if (key && !this.byKey.has(key)) this.byKey.set(key, { catalog, member, matchedBy: key });
      }
    }
  }

  get size(): number {
    return this.byKey.size;
  }

  /** First catalog member matching any of the file's digests (authentihash SHA-1/SHA-256, file SHA-1/SHA-256). */
  lookup(keys: Readonly<Record<string, string>>): CatalogMatch | undefined {
    for (const [what, key] of Object.entries(keys)) {
      const m = this.byKey.get(key.toLowerCase());
      if (m) return { ...m, matchedBy: what };
    }
    return undefined;
  }
}
