// Authenticode content structures (Windows Authenticode PE Signature Format, "SpcIndirectDataContent",
// "SpcSpOpusInfo", page hashes) and RFC 3161 TSTInfo.
import { FormatError } from '../../shared/errors.ts';
import { type Asn1, decodeExact, TagClass, UniversalTag } from './asn1.ts';
import { algorithmIdentifier, type AlgorithmIdentifier } from './certificate.ts';
import { OID } from './oids.ts';

export interface PageHashes {
  readonly version: 1 | 2; // 1 = SHA-1, 2 = SHA-256 (1.3.6.1.4.1.311.2.3.1 / .2)
  readonly table: Uint8Array;
}

export interface SpcIndirectData {
  /** SpcAttributeTypeAndOptionalValue.type: PE image data, CAB, flat file (SIP) … */
  readonly dataType: string;
  readonly digestAlgorithm: AlgorithmIdentifier;
  readonly digest: Uint8Array;
  readonly pageHashes: PageHashes | undefined;
}

const PAGE_HASH_CLASS_ID = 'a6b586d5b4a12466ae05a217da8e60d6';

function fail(message: string): FormatError {
  return new FormatError('Authenticode', 'MALFORMED', message);
}

export function parseSpcIndirectData(node: Asn1): SpcIndirectData {
  const parts = node.sequence('SpcIndirectDataContent');
  const data = parts[0]?.sequence('SpcAttributeTypeAndOptionalValue');
  const digestInfo = parts[1]?.sequence('DigestInfo');
  if (!data || !digestInfo || !digestInfo[0] || !digestInfo[1]) throw fail('SpcIndirectDataContent needs data and messageDigest');
  const dataType = data[0]?.oid('SpcAttributeTypeAndOptionalValue.type');
  if (!dataType) throw fail('SpcAttributeTypeAndOptionalValue has no type');
  const value = data[1];
  return {
    dataType,
    digestAlgorithm: algorithmIdentifier(digestInfo[0], 'DigestInfo.digestAlgorithm'),
    digest: digestInfo[1].octets('DigestInfo.digest'),
    pageHashes: dataType === OID.spcPeImageData && value ? findPageHashes(value) : undefined,
  };
}

/** SpcPeImageData { flags, file [0] SpcLink } → moniker [1] SpcSerializedObject { classId, serializedData }. */
function findPageHashes(peImageData: Asn1): PageHashes | undefined {
  if (!peImageData.is(TagClass.universal, UniversalTag.sequence)) return undefined;
  const file = peImageData.children.find((c) => c.isContext(0));
  const link = file?.children[0];
  if (!link?.isContext(1)) return undefined;
  const [classId, serialized] = link.children;
  if (!classId || !serialized) return undefined;
  if (Buffer.from(classId.content()).toString('hex') !== PAGE_HASH_CLASS_ID) return undefined;
  const set = decodeExact(serialized.content(), 'page hash serializedData');
  for (const attr of set.children) {
    const [type, values] = attr.children;
    const oid = type?.oid('page hash type');
    const table = values?.children[0]?.octets('page hash table');
    if (!table) continue;
    if (oid === OID.spcPageHashV1) return { version: 1, table };
    if (oid === OID.spcPageHashV2) return { version: 2, table };
  }
  return undefined;
}

export interface SpcSpOpusInfo {
  readonly programName?: string;
  readonly moreInfo?: string;
}

function spcString(node: Asn1): string | undefined {
  const inner = node.children[0] ?? node;
  if (inner.isContext(0)) return Buffer.from(inner.content()).swap16().toString('utf16le');
  if (inner.isContext(1)) return Buffer.from(inner.content()).toString('latin1');
  return undefined;
}

export function parseSpcSpOpusInfo(node: Asn1): SpcSpOpusInfo {
  const out: { programName?: string; moreInfo?: string } = {};
  for (const c of node.sequence('SpcSpOpusInfo')) {
    if (c.isContext(0)) {
      const s = spcString(c);
      if (s !== undefined) out.programName = s;
    } else if (c.isContext(1)) {
      const link = c.children[0];
      if (link?.isContext(0)) out.moreInfo = Buffer.from(link.content()).toString('latin1');
      else if (link?.isContext(2)) {
        const s = spcString(link);
        if (s !== undefined) out.moreInfo = s;
      }
    }
  }
  return out;
}

export interface TstInfo {
  readonly policy: string;
  readonly imprintAlgorithm: AlgorithmIdentifier;
  readonly imprint: Uint8Array;
  readonly serialHex: string;
  readonly genTime: Date;
}

/** RFC 3161 §2.4.2 TSTInfo. */
export function parseTstInfo(bytes: Uint8Array): TstInfo {
  const parts = decodeExact(bytes, 'TSTInfo').sequence('TSTInfo');
  const [version, policy, imprint, serial, genTime] = parts;
  if (!version || !policy || !imprint || !serial || !genTime) throw fail('TSTInfo is truncated');
  const mi = imprint.sequence('MessageImprint');
  if (!mi[0] || !mi[1]) throw fail('MessageImprint is incomplete');
  return {
    policy: policy.oid('TSTInfo.policy'),
    imprintAlgorithm: algorithmIdentifier(mi[0], 'MessageImprint.hashAlgorithm'),
    imprint: mi[1].octets('MessageImprint.hashedMessage'),
    serialHex: serial.integerHex('TSTInfo.serialNumber'),
    genTime: genTime.time('TSTInfo.genTime'),
  };
}
