// X.509 certificate summaries (RFC 5280 §4.1), parsed with pkijs and kept with their exact DER so that
// signatures and fingerprints are computed over the bytes as they were, never re-encoded ones.
import { createHash } from 'node:crypto';
import * as pkijs from 'pkijs';
import { FormatError } from '../../shared/errors.ts';
import { type Asn1, decodeExact, TagClass, UniversalTag } from './asn1.ts';
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

function renderName(name: pkijs.RelativeDistinguishedNames): { text: string; fields: NameFields } {
  const parts: string[] = [];
  const ou: string[] = [];
  let commonName: string | undefined;
  let organization: string | undefined;
  let country: string | undefined;
  for (const tv of name.typesAndValues) {
    const key = NAME_KEYS[tv.type] ?? tv.type;
    const raw = tv.value as { valueBlock?: { value?: unknown } };
    const value = typeof raw.valueBlock?.value === 'string' ? raw.valueBlock.value : '';
    parts.push(`${key}=${value}`);
    if (key === 'CN') commonName ??= value;
    if (key === 'O') organization ??= value;
    if (key === 'C') country ??= value;
    if (key === 'OU') ou.push(value);
  }
  const fields: NameFields = {
    organizationalUnits: ou,
    ...(commonName === undefined ? {} : { commonName }),
    ...(organization === undefined ? {} : { organization }),
    ...(country === undefined ? {} : { country }),
  };
  return { text: parts.reverse().join(', '), fields };
}

const hex = (b: ArrayBuffer | Uint8Array): string => Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)).toString('hex');

/**
 * Parsed certificates by the SHA-256 of their exact DER. The same few vendor, CA and timestamping certificates come
 * back in nearly every signature a scan reads; parsing one with pkijs costs far more than hashing its bytes. The key
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

function parseCertificateNode(node: Asn1): CertificateInfo {
  const der = node.raw;
  let cert: pkijs.Certificate;
  try {
    cert = new pkijs.Certificate({ schema: node.block });
  } catch (err) {
    throw new FormatError('X.509', 'ASN1', `certificate does not parse: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const subject = renderName(cert.subject);
  const issuer = renderName(cert.issuer);
  let extendedKeyUsages: string[] | undefined;
  let isCA: boolean | undefined;
  let pathLength: number | undefined;
  let subjectKeyId: string | undefined;
  let authorityKeyId: string | undefined;
  for (const ext of cert.extensions ?? []) {
    const parsed = ext.parsedValue as unknown;
    if (ext.extnID === OID.extExtendedKeyUsage && parsed instanceof pkijs.ExtKeyUsage) extendedKeyUsages = parsed.keyPurposes;
    else if (ext.extnID === OID.extBasicConstraints && parsed instanceof pkijs.BasicConstraints) {
      isCA = parsed.cA;
      if (typeof parsed.pathLenConstraint === 'number') pathLength = parsed.pathLenConstraint;
    } else if (ext.extnID === OID.extSubjectKeyIdentifier && parsed && typeof parsed === 'object' && 'valueBlock' in parsed) {
      subjectKeyId = hex((parsed as { valueBlock: { valueHexView: Uint8Array } }).valueBlock.valueHexView);
    } else if (ext.extnID === OID.extAuthorityKeyIdentifier && parsed instanceof pkijs.AuthorityKeyIdentifier && parsed.keyIdentifier) {
      authorityKeyId = hex(parsed.keyIdentifier.valueBlock.valueHexView);
    }
  }
  // Re-read the TBS parts we need as exact bytes from the original encoding.
  const top = node.sequence('Certificate');
  const tbsNode = top[0];
  if (!tbsNode || !top[1] || !top[2]) throw new FormatError('X.509', 'ASN1', 'Certificate must have tbsCertificate, signatureAlgorithm, signature');
  const tbsParts = tbsNode.sequence('TBSCertificate');
  const offset = tbsParts[0]?.isContext(0) ? 1 : 0;
  const issuerNode = tbsParts[offset + 2];
  const subjectNode = tbsParts[offset + 4];
  const spkiNode = tbsParts[offset + 5];
  if (!issuerNode || !subjectNode || !spkiNode) throw new FormatError('X.509', 'ASN1', 'TBSCertificate is missing fields');
  const spkiAlg = algorithmIdentifier(spkiNode.child(0, 'SubjectPublicKeyInfo'), 'SubjectPublicKeyInfo.algorithm');
  const explicitCurve =
    spkiAlg.oid === OID.ecPublicKey && spkiAlg.parameters !== undefined && spkiAlg.parameters[0] === 0x30; /* SEQUENCE = ECParameters */
  return {
    der,
    sha1: createHash('sha1').update(der).digest('hex'),
    sha256: createHash('sha256').update(der).digest('hex'),
    version: cert.version + 1,
    serialHex: hex(cert.serialNumber.valueBlock.valueHexView),
    subject: subject.text,
    issuer: issuer.text,
    subjectDer: subjectNode.raw,
    issuerDer: issuerNode.raw,
    subjectFields: subject.fields,
    issuerFields: issuer.fields,
    notBefore: cert.notBefore.value,
    notAfter: cert.notAfter.value,
    extendedKeyUsages,
    isCA,
    pathLength,
    subjectKeyId,
    authorityKeyId,
    extensionOids: (cert.extensions ?? []).map((e) => e.extnID),
    spki: spkiNode.raw,
    publicKeyAlgorithm: spkiAlg.oid,
    explicitCurve,
    tbs: tbsNode.raw,
    signatureAlgorithm: algorithmIdentifier(top[1], 'Certificate.signatureAlgorithm'),
    signature: top[2].bitString('Certificate.signature').bytes,
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
