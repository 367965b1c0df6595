// CMS / PKCS #7 SignedData (RFC 5652 §5, PKCS #7 v1.5 for Authenticode) as a plain model with exact byte views.
import { FormatError, SealwatchError } from '../../shared/errors.ts';
import { type Asn1, decode, TagClass, UniversalTag } from './asn1.ts';
import { algorithmIdentifier, parseCertificate, type AlgorithmIdentifier, type CertificateInfo } from './certificate.ts';
import { OID } from './oids.ts';

export interface Attribute {
  readonly oid: string;
  readonly values: readonly Asn1[];
  /** Encoded size, to spot oversized unsigned attributes. */
  readonly size: number;
  /** Bytes after the values SET (the attribute ends there): read by nothing. */
  readonly unread: number;
}

/**
 * A part of the encoding that nothing verifies and no signature covers — elements after a structure's last defined
 * field — with its encoded size: room for smuggled bytes (verify/cms-unvouched.ts reports it).
 */
export interface UnreadPart {
  readonly what: string;
  readonly size: number;
}

/** An entry of the certificate bag that is not an X.509 certificate (another CHOICE, or one that does not parse). */
export interface UnparsedCertificate {
  readonly reason: string;
  readonly size: number;
}

export type SignerIdentifier =
  | { readonly kind: 'issuerAndSerial'; readonly issuerDer: Uint8Array; readonly serialHex: string }
  | { readonly kind: 'subjectKeyId'; readonly keyId: string };

export interface SignerInfo {
  readonly version: number;
  readonly sid: SignerIdentifier;
  readonly digestAlgorithm: AlgorithmIdentifier;
  /** The signed attributes exactly as encoded ([0] IMPLICIT tag 0xA0); the signature covers them with tag 0x31. */
  readonly signedAttrsRaw: Uint8Array | undefined;
  readonly signedAttrs: readonly Attribute[];
  readonly signatureAlgorithm: AlgorithmIdentifier;
  readonly signature: Uint8Array;
  readonly unsignedAttrs: readonly Attribute[];
  readonly unread: readonly UnreadPart[];
}

export interface SignedData {
  readonly version: number;
  readonly digestAlgorithms: readonly AlgorithmIdentifier[];
  readonly contentType: string;
  /** The encapsulated content node (inside [0] EXPLICIT), if not detached. */
  readonly content: Asn1 | undefined;
  /** The bytes the messageDigest attribute covers: the content octets of eContent (PKCS #7 v1.5 rule, VERIFY-NOTES A5). */
  readonly contentDigestInput: Uint8Array | undefined;
  readonly certificates: readonly CertificateInfo[];
  /** Certificates that could not be parsed (kept as a count and reasons, never dropped silently). */
  readonly unparsedCertificates: readonly UnparsedCertificate[];
  /** Bytes inside the CRL field (0 when absent or empty): nothing here reads CRLs. */
  readonly crlBytes: number;
  readonly signerInfos: readonly SignerInfo[];
  readonly unread: readonly UnreadPart[];
}

export interface ContentInfoSignedData {
  readonly signedData: SignedData;
  /** Length of the DER/BER encoding of the ContentInfo. */
  readonly encodedLength: number;
  /** Bytes of the input after the ContentInfo. */
  readonly trailing: number;
}

function fail(message: string): FormatError {
  return new FormatError('CMS', 'MALFORMED', message);
}

function parseAttributes(node: Asn1, what: string): Attribute[] {
  return node.children.map((attr, i) => {
    const parts = attr.sequence(`${what}[${i}]`);
    const oid = parts[0]?.oid(`${what}[${i}].type`);
    const set = parts[1];
    if (!oid || !set) throw fail(`${what}[${i}]: attribute needs a type and values`);
    return { oid, values: set.set(`${what}[${i}].values`), size: attr.raw.length, unread: parts.slice(2).reduce((sum, p) => sum + p.raw.length, 0) };
  });
}

export function parseSignerInfo(node: Asn1): SignerInfo {
  const parts = node.sequence('SignerInfo');
  let i = 0;
  const next = (): Asn1 | undefined => parts[i++];
  const versionNode = next();
  const sidNode = next();
  const extra: UnreadPart[] = [];
  if (!versionNode || !sidNode) throw fail('SignerInfo is truncated');
  const version = versionNode.integer('SignerInfo.version');
  let sid: SignerIdentifier;
  if (sidNode.isContext(0)) {
    sid = { kind: 'subjectKeyId', keyId: Buffer.from(sidNode.content()).toString('hex') };
  } else {
    const ias = sidNode.sequence('IssuerAndSerialNumber');
    if (!ias[0] || !ias[1]) throw fail('IssuerAndSerialNumber is incomplete');
    if (ias.length > 2) extra.push(unreadAfter(ias, 2, 'IssuerAndSerialNumber'));
    sid = { kind: 'issuerAndSerial', issuerDer: ias[0].raw, serialHex: ias[1].integerHex('serialNumber') };
  }
  const digestNode = next();
  if (!digestNode) throw fail('SignerInfo has no digestAlgorithm');
  const digestAlgorithm = algorithmIdentifier(digestNode, 'SignerInfo.digestAlgorithm');
  let n = next();
  let signedAttrsRaw: Uint8Array | undefined;
  let signedAttrs: Attribute[] = [];
  if (n?.isContext(0)) {
    signedAttrsRaw = n.raw;
    signedAttrs = parseAttributes(n, 'signedAttrs');
    n = next();
  }
  if (!n) throw fail('SignerInfo has no signatureAlgorithm');
  const signatureAlgorithm = algorithmIdentifier(n, 'SignerInfo.signatureAlgorithm');
  const sigNode = next();
  if (!sigNode) throw fail('SignerInfo has no signature');
  const signature = sigNode.octets('SignerInfo.signature');
  let u = next();
  const unsignedAttrs = u?.isContext(1) ? parseAttributes(u, 'unsignedAttrs') : [];
  if (u?.isContext(1)) u = next();
  const unread = [...extra, ...(u ? [unreadAfter(parts, parts.indexOf(u), 'SignerInfo')] : [])];
  return { version, sid, digestAlgorithm, signedAttrsRaw, signedAttrs, signatureAlgorithm, signature, unsignedAttrs, unread };
}

export function parseSignedData(node: Asn1): SignedData {
  const parts = node.sequence('SignedData');
  let i = 0;
  const version = parts[i++]?.integer('SignedData.version');
  const algs = parts[i++];
  const eci = parts[i++];
  if (version === undefined || !algs || !eci) throw fail('SignedData is truncated');
  const digestAlgorithms = algs.set('digestAlgorithms').map((a, k) => algorithmIdentifier(a, `digestAlgorithms[${k}]`));
  const eciParts = eci.sequence('EncapsulatedContentInfo');
  const contentType = eciParts[0]?.oid('eContentType');
  if (!contentType) throw fail('EncapsulatedContentInfo has no eContentType');
  let content: Asn1 | undefined;
  let contentDigestInput: Uint8Array | undefined;
  const explicit = eciParts[1];
  if (explicit) {
    if (!explicit.isContext(0)) throw fail('eContent must be [0] EXPLICIT');
    content = explicit.child(0, 'eContent');
    contentDigestInput = content.is(TagClass.universal, UniversalTag.octetString) ? content.content() : content.valueBytes();
  }
  const unread: UnreadPart[] = eciParts.length > 2 ? [unreadAfter(eciParts, 2, 'EncapsulatedContentInfo')] : [];
  const certificates: CertificateInfo[] = [];
  const unparsedCertificates: UnparsedCertificate[] = [];
  let n = parts[i++];
  if (n?.isContext(0)) {
    for (const c of n.children) {
      if (!c.is(TagClass.universal, UniversalTag.sequence)) {
        unparsedCertificates.push({ reason: `certificate choice [${c.tagNumber}] is not an X.509 certificate`, size: c.raw.length });
        continue;
      }
      try {
        certificates.push(parseCertificate(c));
      } catch (err) {
        if (!(err instanceof SealwatchError)) throw err; // a bug, not a bad certificate
        unparsedCertificates.push({ reason: err.message, size: c.raw.length });
      }
    }
    n = parts[i++];
  }
  let crlBytes = 0;
  if (n?.isContext(1)) {
    // CRLs: never used (revocation is offline and optional), so never checked: counted, as what sits beside the chains.
    crlBytes = n.content().length;
    n = parts[i++];
  }
  if (!n) throw fail('SignedData has no signerInfos');
  const signerInfos = n.set('signerInfos').map(parseSignerInfo);
  if (i < parts.length) unread.push(unreadAfter(parts, i, 'SignedData'));
  return { version, digestAlgorithms, contentType, content, contentDigestInput, certificates, unparsedCertificates, crlBytes, signerInfos, unread };
}

/** The elements of `parts` from `from` on: after the last field the structure defines. */
function unreadAfter(parts: readonly Asn1[], from: number, what: string): UnreadPart {
  const rest = parts.slice(from);
  return { what: `${rest.length} element(s) after the end of the ${what}`, size: rest.reduce((sum, p) => sum + p.raw.length, 0) };
}

/** ContentInfo { contentType signedData, content [0] EXPLICIT SignedData } from the start of `bytes`. */
export function parseContentInfoSignedData(bytes: Uint8Array, limits?: { maxNodes?: number }): ContentInfoSignedData {
  const { node, trailing, length } = decode(bytes, 'ContentInfo', limits);
  const parts = node.sequence('ContentInfo');
  const type = parts[0]?.oid('ContentInfo.contentType');
  if (type !== OID.signedData) throw fail(`ContentInfo type ${type ?? '(none)'} is not signedData`);
  const wrapped = parts[1];
  if (!wrapped?.isContext(0)) throw fail('ContentInfo content must be [0] EXPLICIT');
  const signedData = parseSignedData(wrapped.child(0, 'SignedData'));
  const after = parts.length > 2 ? [unreadAfter(parts, 2, 'ContentInfo')] : [];
  const extra = wrapped.children.length > 1 ? [unreadAfter(wrapped.children, 1, 'ContentInfo\'s [0] content')] : [];
  return { signedData: { ...signedData, unread: [...signedData.unread, ...extra, ...after] }, encodedLength: length, trailing };
}

export function findAttribute(attrs: readonly Attribute[], oid: string): Attribute | undefined {
  return attrs.find((a) => a.oid === oid);
}

/** The signed attributes as the signature covers them: the SET OF tag 0x31 in place of the [0] IMPLICIT tag. */
export function signedAttrsForVerification(raw: Uint8Array): Uint8Array {
  const copy = Uint8Array.from(raw);
  copy[0] = 0x31;
  return copy;
}
