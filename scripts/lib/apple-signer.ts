// A test signer for Mach-O (thin) files: CodeDirectory + requirements + entitlements + CMS, built with pkijs, so
// tests can make vendor-signed programs and bundles — and tampered ones — without Apple's tools. It follows
// cs_blobs.h (CodeDirectory v0x20400, SHA-256, 4 KiB pages) and Apple's CMS shape (detached, cdhash attributes).
// Test code only: sealwatch itself never signs anything.
import { createHash, webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { build as buildPlist } from 'plist';

pkijs.setEngine('node', new pkijs.CryptoEngine({ name: 'node', crypto: webcrypto as unknown as ConstructorParameters<typeof pkijs.CryptoEngine>[0]['crypto'] }));

type CryptoKey = webcrypto.CryptoKey;

export interface SigningIdentity {
  /** DER certificates, leaf first. */
  readonly chain: readonly Uint8Array[];
  readonly key: CryptoKey;
}

export async function loadIdentity(leafDer: string, pkcs8: string, chainDers: readonly string[]): Promise<SigningIdentity> {
  const key = await webcrypto.subtle.importKey('pkcs8', readFileSync(pkcs8), { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign']);
  return { chain: [readFileSync(leafDer), ...chainDers.map((p) => readFileSync(p))], key };
}

export interface SignOptions {
  readonly identifier: string;
  readonly teamId?: string;
  /** Absent: ad-hoc (empty CMS blob, CS_ADHOC). */
  readonly identity?: SigningIdentity;
  readonly flags?: number;
  /** XML entitlements blob payload (slot 5), signed exactly as given: real signers' quirks included. */
  readonly entitlements?: string | Uint8Array;
  /** DER entitlements blob payload (slot 7, 0xFADE7172), as codesign writes beside the XML since macOS 12. */
  readonly derEntitlements?: Uint8Array;
  /** Requirement-set blob to sign instead of the designated requirement built from identifier and team. */
  readonly requirements?: Uint8Array;
  readonly infoPlist?: Uint8Array;
  readonly codeResources?: Uint8Array;
  readonly signingTime?: Date;
}

const be32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};
const blob = (magic: number, payload: Buffer): Buffer => Buffer.concat([be32(magic), be32(payload.length + 8), payload]);
const sha256 = (b: Uint8Array): Buffer => createHash('sha256').update(b).digest();
const roundUp = (n: number, m: number): number => Math.ceil(n / m) * m;

/** Requirement expression data: u32 length + bytes padded to 4. */
const reqData = (s: string | Buffer): Buffer => {
  const b = typeof s === 'string' ? Buffer.from(s) : s;
  return Buffer.concat([be32(b.length), b, Buffer.alloc(roundUp(b.length, 4) - b.length)]);
};

/** `identifier "<id>" and anchor apple generic and certificate leaf[subject.OU] = "<team>"` as a requirement set. */
export function designatedRequirement(identifier: string, teamId?: string): Buffer {
  const ident = Buffer.concat([be32(2), reqData(identifier)]);
  let expr = Buffer.concat([be32(6), ident, be32(15)]); // and(identifier, anchor apple generic)
  if (teamId) expr = Buffer.concat([be32(6), expr, be32(11), be32(0), reqData('subject.OU'), be32(1), reqData(teamId)]);
  const requirement = blob(0xfade0c00, Buffer.concat([be32(1), expr]));
  return blob(0xfade0c01, Buffer.concat([be32(1), be32(3), be32(20), requirement]));
}

interface LoadCommandPositions {
  codeSignature: number; // offset of LC_CODE_SIGNATURE
  linkedit: number; // offset of the __LINKEDIT segment command
  is64: boolean;
  dataoff: number;
  linkeditFileoff: number;
}

function locate(bytes: Buffer): LoadCommandPositions {
  const magic = bytes.readUInt32LE(0);
  const is64 = magic === 0xfeedfacf;
  if (!is64 && magic !== 0xfeedface) throw new Error('signer: not a thin little-endian Mach-O');
  const ncmds = bytes.readUInt32LE(16);
  let at = is64 ? 32 : 28;
  let codeSignature = -1;
  let linkedit = -1;
  for (let i = 0; i < ncmds; i++) {
    const cmd = bytes.readUInt32LE(at);
    if (cmd === 0x1d) codeSignature = at;
    if ((cmd === 0x19 || cmd === 0x1) && bytes.toString('latin1', at + 8, at + 18) === '__LINKEDIT') linkedit = at;
    at += bytes.readUInt32LE(at + 4);
  }
  if (codeSignature < 0 || linkedit < 0) throw new Error('signer: needs LC_CODE_SIGNATURE and __LINKEDIT (link with -adhoc_codesign)');
  return {
    codeSignature,
    linkedit,
    is64,
    dataoff: bytes.readUInt32LE(codeSignature + 8),
    linkeditFileoff: is64 ? Number(bytes.readBigUInt64LE(linkedit + 40)) : bytes.readUInt32LE(linkedit + 32),
  };
}

function codeDirectory(image: Buffer, codeLimit: number, opts: SignOptions, special: ReadonlyArray<Buffer | undefined>, flags: number): Buffer {
  const page = 4096;
  const nCode = Math.ceil(codeLimit / page);
  const nSpecial = special.length;
  const ident = Buffer.from(`${opts.identifier}\0`);
  const team = opts.teamId ? Buffer.from(`${opts.teamId}\0`) : Buffer.alloc(0);
  const headerSize = 88;
  const identOffset = headerSize;
  const teamOffset = opts.teamId ? identOffset + ident.length : 0;
  const hashOffset = headerSize + ident.length + team.length + nSpecial * 32;
  const length = hashOffset + nCode * 32;
  const h = Buffer.alloc(headerSize);
  h.writeUInt32BE(0xfade0c02, 0);
  h.writeUInt32BE(length, 4);
  h.writeUInt32BE(0x20400, 8);
  h.writeUInt32BE(flags, 12);
  h.writeUInt32BE(hashOffset, 16);
  h.writeUInt32BE(identOffset, 20);
  h.writeUInt32BE(nSpecial, 24);
  h.writeUInt32BE(nCode, 28);
  h.writeUInt32BE(codeLimit, 32);
  h.writeUInt8(32, 36); // hashSize
  h.writeUInt8(2, 37); // SHA-256
  h.writeUInt8(0, 38);
  h.writeUInt8(12, 39); // 4 KiB pages
  h.writeUInt32BE(teamOffset, 48);
  // special slots are stored in reverse order before hashOffset: slot n at hashOffset - n*32
  const specials = Buffer.concat([...special].reverse().map((s) => (s ? sha256(s) : Buffer.alloc(32))));
  const pages: Buffer[] = [];
  for (let i = 0; i < nCode; i++) pages.push(sha256(image.subarray(i * page, Math.min((i + 1) * page, codeLimit))));
  return Buffer.concat([h, ident, team, specials, ...pages]);
}

async function cms(cd: Buffer, identity: SigningIdentity, signingTime: Date): Promise<Buffer> {
  const certs = identity.chain.map((der) => pkijs.Certificate.fromBER(der));
  const leaf = certs[0] as pkijs.Certificate;
  const cdhashPlist = buildPlist({ cdhashes: [sha256(cd).subarray(0, 20)] });
  const attr = (type: string, values: asn1js.AsnType[]): pkijs.Attribute => new pkijs.Attribute({ type, values });
  const signedAttrs = [
    attr('1.2.840.113549.1.9.3', [new asn1js.ObjectIdentifier({ value: '1.2.840.113549.1.7.1' })]),
    attr('1.2.840.113549.1.9.5', [new asn1js.UTCTime({ valueDate: signingTime })]),
    attr('1.2.840.113549.1.9.4', [new asn1js.OctetString({ valueHex: sha256(cd) })]),
    attr('1.2.840.113635.100.9.1', [new asn1js.OctetString({ valueHex: Buffer.from(cdhashPlist) })]),
    attr('1.2.840.113635.100.9.2', [
      new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: '2.16.840.1.101.3.4.2.1' }), new asn1js.OctetString({ valueHex: sha256(cd) })] }),
    ]),
  ];
  const sd = new pkijs.SignedData({
    version: 1,
    encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: '1.2.840.113549.1.7.1' }),
    certificates: certs,
    signerInfos: [
      new pkijs.SignerInfo({
        version: 1,
        sid: new pkijs.IssuerAndSerialNumber({ issuer: leaf.issuer, serialNumber: leaf.serialNumber }),
        signedAttrs: new pkijs.SignedAndUnsignedAttributes({ type: 0, attributes: signedAttrs }),
      }),
    ],
  });
  await sd.sign(identity.key as unknown as Parameters<pkijs.SignedData['sign']>[0], 0, 'SHA-256', cd);
  const ci = new pkijs.ContentInfo({ contentType: '1.2.840.113549.1.7.2', content: sd.toSchema(true) });
  return Buffer.from(ci.toSchema().toBER(false));
}

/** Signs a thin Mach-O that was linked with an (ad-hoc) LC_CODE_SIGNATURE, replacing that signature. */
export async function signMacho(input: Uint8Array, opts: SignOptions): Promise<Buffer> {
  const pos = locate(Buffer.from(input));
  const requirements = opts.requirements ? Buffer.from(opts.requirements) : designatedRequirement(opts.identifier, opts.teamId);
  const entitlements = opts.entitlements ? blob(0xfade7171, Buffer.from(opts.entitlements)) : undefined;
  const derEntitlements = opts.derEntitlements ? blob(0xfade7172, Buffer.from(opts.derEntitlements)) : undefined;
  const special = [opts.infoPlist ? Buffer.from(opts.infoPlist) : undefined, requirements, opts.codeResources ? Buffer.from(opts.codeResources) : undefined, undefined, entitlements];
  if (derEntitlements) special.push(undefined, derEntitlements);
  const adhoc = opts.identity === undefined;
  const flags = (opts.flags ?? 0) | (adhoc ? 0x2 : 0);
  // Reserve room for the CMS: the header (and so page 0) must be final before the pages are hashed.
  const cdSize = 88 + opts.identifier.length + 1 + (opts.teamId ? opts.teamId.length + 1 : 0) + special.length * 32 + Math.ceil(pos.dataoff / 4096) * 32;
  const blobs = [cdSize, requirements.length, entitlements?.length ?? 0, derEntitlements?.length ?? 0].reduce((a, b) => a + b, 0);
  const datasize = roundUp(12 + 4 * 8 + blobs + 8 + (adhoc ? 0 : 12000), 16);
  const image = Buffer.from(input.subarray(0, pos.dataoff));
  image.writeUInt32LE(datasize, pos.codeSignature + 12);
  const linkeditSize = pos.dataoff + datasize - pos.linkeditFileoff;
  if (pos.is64) {
    image.writeBigUInt64LE(BigInt(roundUp(linkeditSize, 0x4000)), pos.linkedit + 32); // vmsize
    image.writeBigUInt64LE(BigInt(linkeditSize), pos.linkedit + 48); // filesize
  } else {
    image.writeUInt32LE(roundUp(linkeditSize, 0x1000), pos.linkedit + 28);
    image.writeUInt32LE(linkeditSize, pos.linkedit + 36);
  }
  const cd = codeDirectory(image, pos.dataoff, opts, special, flags);
  const signature = adhoc ? blob(0xfade0b01, Buffer.alloc(0)) : blob(0xfade0b01, await cms(cd, opts.identity as SigningIdentity, opts.signingTime ?? new Date('2026-01-15T00:00:00Z')));
  const parts: Array<[number, Buffer]> = [
    [0, cd],
    [2, requirements],
    ...(entitlements ? ([[5, entitlements]] as Array<[number, Buffer]>) : []),
    ...(derEntitlements ? ([[7, derEntitlements]] as Array<[number, Buffer]>) : []),
    [0x10000, signature],
  ];
  let offset = 12 + parts.length * 8;
  const index: Buffer[] = [];
  for (const [type, b] of parts) {
    index.push(be32(type), be32(offset));
    offset += b.length;
  }
  const superBlob = Buffer.concat([be32(0xfade0cc0), be32(offset), be32(parts.length), ...index, ...parts.map(([, b]) => b)]);
  if (superBlob.length > datasize) throw new Error(`signer: signature (${superBlob.length}) exceeds the reserved ${datasize} bytes`);
  return Buffer.concat([image, superBlob, Buffer.alloc(datasize - superBlob.length)]);
}

