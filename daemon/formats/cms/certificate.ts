// X.509 certificate summaries (RFC 5280 §4.1), read with the strict DER reader (asn1.ts) and kept with their exact DER so that
// signatures and fingerprints are computed over the bytes as they were, never re-encoded ones.
import { createHash } from 'node:crypto';
import { FormatError } from '../../shared/errors.ts';
import { type Asn1, decode, decodeExact, TagClass, UniversalTag } from './asn1.ts';
import { OID } from './oids.ts';

export interface AlgorithmIdentifier {
  readonly oid: string;
  /** DER of the parameters, when present and not NULL. */
  readonly parameters?: Uint8Array;
}

export interface NameFields {
  readonly commonName?: string;
  readonly organization?: string;
  readonly organizationalUnits: readonly string[];
  readonly country?: string;
}

export interface CertificateInfo {
  readonly der: Uint8Array;
  readonly sha1: string;
  readonly sha256: string;
  readonly version: number;
  readonly serialHex: string;
  /** RFC 4514-style, most specific first: "CN=…, O=…, C=…". */
  readonly subject: string;
  readonly issuer: string;
  readonly subjectDer: Uint8Array;
  readonly issuerDer: Uint8Array;
  readonly subjectFields: NameFields;
  readonly issuerFields: NameFields;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Extended key usages; undefined when the extension is absent (= any purpose). */
  readonly extendedKeyUsages: readonly string[] | undefined;
  /** basicConstraints cA; undefined when the extension is absent. */
  readonly isCA: boolean | undefined;
  readonly pathLength: number | undefined;
  readonly subjectKeyId: string | undefined;
  readonly authorityKeyId: string | undefined;
  readonly extensionOids: readonly string[];
  readonly spki: Uint8Array;
  readonly publicKeyAlgorithm: string;
  /** EC key with explicit curve parameters instead of a named curve (CVE-2020-0601 spoofing). */
  readonly explicitCurve: boolean;
  readonly tbs: Uint8Array;
  readonly signatureAlgorithm: AlgorithmIdentifier;
  readonly signature: Uint8Array;
  /** Bytes of the encoding outside what the issuer signed and what verifying it reads: elements after the signature,
   * an outer signatureAlgorithm that is not the one inside tbsCertificate. Anyone can add them; nothing reads them. */
  readonly unsignedBytes: number;
}

const NAME_KEYS: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.5': 'serialNumber',
  '2.5.4.9': 'STREET',
  '2.5.4.17': 'postalCode',
  '1.2.840.113549.1.9.1': 'E',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
  '1.3.6.1.4.1.311.60.2.1.3': 'jurisdictionC',
  '2.5.4.15': 'businessCategory',
};

export function algorithmIdentifier(node: Asn1, what: string): AlgorithmIdentifier {
  const parts = node.sequence(what);
  const oid = parts[0]?.oid(`${what}.algorithm`);
  if (!oid) throw new FormatError('X.509', 'ASN1', `${what}: no algorithm`);
  const p = parts[1];
  return p && !p.is(TagClass.universal, UniversalTag.null) ? { oid, parameters: p.raw } : { oid };
}

/** A constructed SEQUENCE's (or SET's) elements: pkijs' schemas never matched one marked primitive. */
function elements(node: Asn1, tagNumber: number, what: string): Asn1[] {
  node.expect(TagClass.universal, tagNumber, what);
  if (!node.constructed) throw x509(`${what}: must be constructed`);
  return node.children;
}

/** The text of a name attribute's value, as pkijs gave it (asn1js' string value; '' for a value of another type). */
function attributeText(value: Asn1): string {
  return value.tagClass === TagClass.universal && STRING_TAGS.has(value.tagNumber) ? value.text() : '';
}
/** UTF8String, NumericString … UniversalString, BMPString, TIME … DURATION: the types asn1js read as text. */
const STRING_TAGS = new Set([12, 14, 18, 19, 20, 21, 22, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34]);

function renderName(name: Asn1, what: string): { text: string; fields: NameFields } {
  const parts: string[] = [];
  const ou: string[] = [];
  let commonName: string | undefined;
  let organization: string | undefined;
  let country: string | undefined;
  for (const [i, rdn] of elements(name, UniversalTag.sequence, what).entries()) {
    for (const [j, atv] of elements(rdn, UniversalTag.set, `${what}[${i}]`).entries()) {
      const [type, value] = elements(atv, UniversalTag.sequence, `${what}[${i}][${j}]`);
      if (!type || !value) throw x509(`${what}[${i}][${j}]: AttributeTypeAndValue needs a type and a value`);
      const oid = type.oid(`${what}[${i}][${j}].type`);
      const key = NAME_KEYS[oid] ?? oid;
      const text = attributeText(value);
      parts.push(`${key}=${text}`);
      if (key === 'CN') commonName ??= text;
      if (key === 'O') organization ??= text;
      if (key === 'C') country ??= text;
      if (key === 'OU') ou.push(text);
    }
  }
  const fields: NameFields = {
    organizationalUnits: ou,
    ...(commonName === undefined ? {} : { commonName }),
    ...(organization === undefined ? {} : { organization }),
    ...(country === undefined ? {} : { country }),
  };
  return { text: parts.reverse().join(', '), fields };
}

const x509 = (message: string): FormatError => new FormatError('X.509', 'ASN1', message);

const hex = (b: ArrayBuffer | Uint8Array): string => Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)).toString('hex');

/**
 * Parsed certificates by the SHA-256 of their exact DER. The same few vendor, CA and timestamping certificates come
 * back in nearly every signature a scan reads; parsing one costs far more than hashing its bytes. The key
 * is the whole encoding, so a hit is the same certificate byte for byte, and each entry holds its own copy of the
 * bytes (never a view into the file it came from). Bounded: the oldest entries go first.
 */
const parsedByDer = new Map<string, CertificateInfo>();
const PARSED_CACHE_MAX = 1024;

export function parseCertificate(node: Asn1): CertificateInfo {
  const raw = node.raw;
  const key = createHash('sha256').update(raw).digest('hex');
  const hit = parsedByDer.get(key);
  if (hit) return hit;
  // Parsed from a private copy of the bytes, so the cached summary keeps nothing of the file alive.
  let own: Asn1;
  try {
    own = decodeExact(new Uint8Array(raw), 'Certificate');
  } catch {
    return parseCertificateNode(node);
  }
  const info = parseCertificateNode(own);
  if (parsedByDer.size >= PARSED_CACHE_MAX) parsedByDer.delete(parsedByDer.keys().next().value as string);
  parsedByDer.set(key, info);
  return info;
}

/** A small INTEGER, two's complement as DER has it (asn1js' valueDec). */
function signedInteger(node: Asn1, what: string): number {
  node.expect(TagClass.universal, UniversalTag.integer, what);
  const c = node.content();
  if (c.length > 6) throw x509(`${what}: integer too large`);
  let n = 0;
  for (const b of c) n = n * 256 + b;
  return c.length > 0 && (c[0] as number) >= 0x80 ? n - 2 ** (8 * c.length) : n;
}

/** A Time (RFC 5280 §4.1.2.5): UTCTime or GeneralizedTime, read as asn1js read it. */
function time(node: Asn1 | undefined, what: string): Date {
  if (!node || !(node.is(TagClass.universal, UniversalTag.utcTime) || node.is(TagClass.universal, UniversalTag.generalizedTime))) {
    throw x509(`${what}: expected UTCTime or GeneralizedTime`);
  }
  return node.time(what);
}

interface Extensions {
  extendedKeyUsages?: string[];
  isCA?: boolean;
  pathLength?: number;
  subjectKeyId?: string;
  authorityKeyId?: string;
  readonly oids: string[];
}

/**
 * An extension's value as pkijs read it: undefined when it does not decode (the extension then says nothing); the
 * value's first element only (bytes after it are ignored), with asn1js' default limits.
 */
function extensionValue(bytes: Uint8Array): Asn1 | undefined {
  try {
    return bytes.length === 0 ? undefined : decode(bytes, 'extension value', { maxDepth: 100, maxNodes: 10_000, maxContentLength: 16 * 1024 * 1024 }).node;
  } catch {
    return undefined;
  }
}

/** EKU: SEQUENCE OF OBJECT IDENTIFIER; a value of any other shape gives no purposes (pkijs' empty ExtKeyUsage). */
function extendedKeyUsage(v: Asn1): string[] {
  if (!v.is(TagClass.universal, UniversalTag.sequence) || !v.constructed) return [];
  const kids = v.children;
  return kids.every((k) => k.is(TagClass.universal, UniversalTag.oid)) ? kids.map((k) => k.oid('keyPurpose')) : [];
}

/**
 * basicConstraints: SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER OPTIONAL }, matched as pkijs'
 * schema did (elements in order, anything after them ignored); not a SEQUENCE: cA false.
 */
function basicConstraints(v: Asn1): { isCA: boolean; pathLength?: number } {
  if (!v.is(TagClass.universal, UniversalTag.sequence) || !v.constructed) return { isCA: false };
  const kids = v.children;
  let i = 0;
  const ca = kids[i]?.is(TagClass.universal, UniversalTag.boolean) ? kids[i++] : undefined;
  const len = kids[i]?.is(TagClass.universal, UniversalTag.integer) && !kids[i]?.constructed ? kids[i] : undefined;
  const isCA = ca ? ca.content().some((b) => b !== 0) : false;
  const n = len && len.content().length <= 6 ? signedInteger(len, 'pathLenConstraint') : undefined; // asn1js: small integers only
  return n === undefined ? { isCA } : { isCA, pathLength: n };
}

/** subjectKeyIdentifier: the bytes of the (OCTET STRING) value, as pkijs' untyped block gave them. */
function subjectKeyIdentifier(v: Asn1): string {
  if (v.constructed) return '';
  if (v.tagClass === TagClass.universal && (v.tagNumber === 0 || v.tagNumber === UniversalTag.null || v.tagNumber === UniversalTag.oid || v.tagNumber === 13)) return '';
  return hex(v.content());
}

/**
 * authorityKeyIdentifier: SEQUENCE { [0] keyIdentifier, [1] authorityCertIssuer, [2] serial }, each optional and matched
 * in order as pkijs' schema did: the key identifier is the first element when that is a primitive [0].
 */
function authorityKeyIdentifier(v: Asn1): string | undefined {
  if (!v.is(TagClass.universal, UniversalTag.sequence) || !v.constructed) return undefined;
  const first = v.children[0];
  return first?.isContext(0) && !first.constructed ? hex(first.valueBytes()) : undefined;
}

function readExtensions(node: Asn1 | undefined): Extensions {
  const out: Extensions = { oids: [] };
  if (!node) return out;
  const list = node.child(0, 'extensions');
  for (const [i, ext] of elements(list, UniversalTag.sequence, 'extensions').entries()) {
    const parts = elements(ext, UniversalTag.sequence, `extensions[${i}]`);
    const id = parts[0]?.oid(`extensions[${i}].extnID`);
    const valueNode = parts[1]?.is(TagClass.universal, UniversalTag.boolean) ? parts[2] : parts[1];
    if (!id || !valueNode || valueNode.constructed) throw x509(`extensions[${i}]: needs extnID and a (primitive) extnValue`);
    const value = extensionValue(valueNode.octets(`extensions[${i}].extnValue`));
    out.oids.push(id);
    if (!value) continue;
    if (id === OID.extExtendedKeyUsage) out.extendedKeyUsages = extendedKeyUsage(value);
    else if (id === OID.extBasicConstraints) {
      const bc = basicConstraints(value);
      out.isCA = bc.isCA;
      if (bc.pathLength !== undefined) out.pathLength = bc.pathLength;
    } else if (id === OID.extSubjectKeyIdentifier) out.subjectKeyId = subjectKeyIdentifier(value);
    else if (id === OID.extAuthorityKeyIdentifier) {
      const aki = authorityKeyIdentifier(value);
      if (aki !== undefined) out.authorityKeyId = aki;
    }
  }
  return out;
}

/**
 * The summary of one certificate, read straight from its DER (RFC 5280 §4.1): the same fields pkijs gave, without
 * building pkijs' object tree (which, parsed cold in every worker, cost more than the rest of a signature).
 */
function parseCertificateNode(node: Asn1): CertificateInfo {
  const der = node.raw;
  // Elements are matched in order, as pkijs' schemas did; elements after the last one a schema names are ignored.
  const [tbsNode, sigAlgNode, sigNode, ...after] = elements(node, UniversalTag.sequence, 'Certificate');
  if (!tbsNode || !sigAlgNode || !sigNode) throw x509('Certificate must have tbsCertificate, signatureAlgorithm, signature');
  const tbsParts = elements(tbsNode, UniversalTag.sequence, 'TBSCertificate');
  const offset = tbsParts[0]?.isContext(0) ? 1 : 0;
  const version = offset === 1 ? signedInteger((tbsParts[0] as Asn1).child(0, 'version'), 'version') : 0;
  const serial = tbsParts[offset];
  const issuerNode = tbsParts[offset + 2];
  const validity = tbsParts[offset + 3];
  const subjectNode = tbsParts[offset + 4];
  const spkiNode = tbsParts[offset + 5];
  if (!serial || !tbsParts[offset + 1] || !issuerNode || !validity || !subjectNode || !spkiNode) throw x509('TBSCertificate is missing fields');
  algorithmIdentifier(tbsParts[offset + 1] as Asn1, 'TBSCertificate.signature');
  // issuerUniqueID [1], subjectUniqueID [2] (primitive), extensions [3] (constructed): each optional, in order.
  let extensionsNode: Asn1 | undefined;
  let p = offset + 6;
  for (const n of [1, 2, 3]) {
    const e = tbsParts[p];
    if (e?.isContext(n) && e.constructed === (n === 3)) {
      if (n === 3) extensionsNode = e;
      p++;
    }
  }
  if (p < tbsParts.length) throw x509('TBSCertificate has an unexpected field after subjectPublicKeyInfo');
  const [notBeforeNode, notAfterNode] = elements(validity, UniversalTag.sequence, 'Validity');
  const subject = renderName(subjectNode, 'subject');
  const issuer = renderName(issuerNode, 'issuer');
  const spki = elements(spkiNode, UniversalTag.sequence, 'SubjectPublicKeyInfo');
  if (!spki[1]) throw x509('SubjectPublicKeyInfo needs an algorithm and a key');
  spki[1].bitString('subjectPublicKey');
  const spkiAlg = algorithmIdentifier(spkiNode.child(0, 'SubjectPublicKeyInfo'), 'SubjectPublicKeyInfo.algorithm');
  const explicitCurve =
    spkiAlg.oid === OID.ecPublicKey && spkiAlg.parameters !== undefined && spkiAlg.parameters[0] === 0x30; /* SEQUENCE = ECParameters */
  const ext = readExtensions(extensionsNode);
  return {
    der,
    sha1: createHash('sha1').update(der).digest('hex'),
    sha256: createHash('sha256').update(der).digest('hex'),
    version: version + 1,
    serialHex: serial.integerHex('serialNumber'),
    subject: subject.text,
    issuer: issuer.text,
    subjectDer: subjectNode.raw,
    issuerDer: issuerNode.raw,
    subjectFields: subject.fields,
    issuerFields: issuer.fields,
    notBefore: time(notBeforeNode, 'notBefore'),
    notAfter: time(notAfterNode, 'notAfter'),
    extendedKeyUsages: ext.extendedKeyUsages,
    isCA: ext.isCA,
    pathLength: ext.pathLength,
    subjectKeyId: ext.subjectKeyId,
    authorityKeyId: ext.authorityKeyId,
    extensionOids: ext.oids,
    spki: spkiNode.raw,
    publicKeyAlgorithm: spkiAlg.oid,
    explicitCurve,
    tbs: tbsNode.raw,
    signatureAlgorithm: algorithmIdentifier(sigAlgNode, 'Certificate.signatureAlgorithm'),
    signature: sigNode.bitString('Certificate.signature').bytes,
    unsignedBytes: after.reduce((sum, e) => sum + e.raw.length, 0) + (sameBytes(sigAlgNode.raw, (tbsParts[offset + 1] as Asn1).raw) ? 0 : sigAlgNode.raw.length),
  };
}

/** PEM bundle → DER blobs (comments and friendly names between blocks are ignored). */
export function pemToDer(text: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  const re = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;
  for (const m of text.matchAll(re)) out.push(Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64'));
  return out;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

export interface CertificatePeek {
  readonly der: Uint8Array;
  readonly sha1: string;
  readonly sha256: string;
  readonly subjectDer: Uint8Array;
  readonly issuerDer: Uint8Array;
}

/** Fingerprints and names only, without the full X.509 parse: for indexing hundreds of trust anchors cheaply. */
export function peekCertificate(node: Asn1): CertificatePeek {
  const tbs = node.sequence('Certificate')[0]?.sequence('TBSCertificate');
  if (!tbs) throw new FormatError('X.509', 'ASN1', 'Certificate has no tbsCertificate');
  const offset = tbs[0]?.isContext(0) ? 1 : 0;
  const issuer = tbs[offset + 2];
  const subject = tbs[offset + 4];
  if (!issuer || !subject) throw new FormatError('X.509', 'ASN1', 'TBSCertificate is missing names');
  const der = node.raw;
  return {
    der,
    sha1: createHash('sha1').update(der).digest('hex'),
    sha256: createHash('sha256').update(der).digest('hex'),
    subjectDer: subject.raw,
    issuerDer: issuer.raw,
  };
}
