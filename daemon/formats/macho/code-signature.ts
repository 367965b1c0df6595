// The embedded code signature of a slice (Apple cs_blobs.h): a SuperBlob of CodeDirectories, requirements,
// entitlements and a CMS wrapper (VERIFY-NOTES B2–B5). Big-endian throughout. Parsing only; checks are in verify/.
import { ByteReader } from '../bytes/reader.ts';

export const CSMAGIC = {
  requirement: 0xfade0c00,
  requirements: 0xfade0c01,
  codeDirectory: 0xfade0c02,
  embeddedSignature: 0xfade0cc0,
  entitlements: 0xfade7171,
  entitlementsDer: 0xfade7172,
  blobWrapper: 0xfade0b01,
} as const;

export const CSSLOT = {
  codeDirectory: 0,
  infoPlist: 1,
  requirements: 2,
  resourceDir: 3,
  application: 4,
  entitlements: 5,
  repSpecific: 6,
  entitlementsDer: 7,
  alternateCodeDirectories: 0x1000,
  alternateCodeDirectoryLimit: 0x1005,
  signature: 0x10000,
} as const;

export const CS_FLAGS: ReadonlyArray<[number, string]> = [
  [0x1, 'host'],
  [0x2, 'adhoc'],
  [0x100, 'hard'],
  [0x200, 'kill'],
  [0x400, 'expires'],
  [0x800, 'restrict'],
  [0x1000, 'enforcement'],
  [0x2000, 'library-validation'],
  [0x10000, 'runtime'],
  [0x20000, 'linker-signed'],
];
export const CS_ADHOC = 0x2;
export const CS_FORCE_EXPIRATION = 0x400;
export const CS_LINKER_SIGNED = 0x20000;

export type CdHashType = 'sha1' | 'sha256' | 'sha256-truncated' | 'sha384';
const HASH_TYPES: Record<number, CdHashType> = { 1: 'sha1', 2: 'sha256', 3: 'sha256-truncated', 4: 'sha384' };
/** Preference when choosing "the" CodeDirectory (VERIFY-NOTES B6). */
export const HASH_RANK: Record<CdHashType, number> = { sha384: 4, sha256: 3, 'sha256-truncated': 2, sha1: 1 };

export interface BlobIndexEntry {
  readonly type: number;
  readonly offset: number;
  readonly magic: number;
  /** The whole blob, header included (what special-slot hashes and cdhashes cover). */
  readonly bytes: Uint8Array;
}

export interface CodeDirectory {
  readonly slot: number;
  readonly bytes: Uint8Array;
  readonly version: number;
  readonly flags: number;
  readonly hashOffset: number;
  readonly nSpecialSlots: number;
  readonly nCodeSlots: number;
  readonly codeLimit: number;
  readonly hashSize: number;
  readonly hashType: CdHashType | undefined;
  readonly hashTypeCode: number;
  readonly platform: number;
  readonly pageSizeLog2: number;
  readonly identifier: string;
  readonly teamId: string | undefined;
  readonly execSegFlags: bigint | undefined;
  readonly runtime: number | undefined;
}

export interface EmbeddedSignature {
  readonly blobs: readonly BlobIndexEntry[];
  readonly codeDirectories: readonly CodeDirectory[];
}

const MAX_BLOBS = 64;

/** Parses the SuperBlob at `bytes` (the LC_CODE_SIGNATURE region of the slice). */
export function parseEmbeddedSignature(bytes: Uint8Array): EmbeddedSignature {
  const r = new ByteReader(bytes, 'code signature');
  const magic = r.u32be(0, 'SuperBlob magic');
  if (magic !== CSMAGIC.embeddedSignature) r.fail(`SuperBlob magic is 0x${magic.toString(16)}, not 0xfade0cc0`);
  const length = r.u32be(4);
  const count = r.u32be(8);
  if (length > bytes.length) r.fail(`SuperBlob length ${length} exceeds the signature area (${bytes.length})`);
  if (count > MAX_BLOBS) r.fail(`SuperBlob holds ${count} blobs`, 'LIMIT_EXCEEDED');
  const blobs: BlobIndexEntry[] = [];
  for (let i = 0; i < count; i++) {
    const type = r.u32be(12 + i * 8);
    const offset = r.u32be(16 + i * 8);
    const blobMagic = r.u32be(offset, `blob ${i} magic`);
    const blobLength = r.u32be(offset + 4, `blob ${i} length`);
    if (blobLength < 8 || offset + blobLength > length) r.fail(`blob ${i} (type 0x${type.toString(16)}) [${offset}, +${blobLength}) is outside the SuperBlob`);
    blobs.push({ type, offset, magic: blobMagic, bytes: r.slice(offset, blobLength) });
  }
  const codeDirectories = blobs
    .filter((b) => b.type === CSSLOT.codeDirectory || (b.type >= CSSLOT.alternateCodeDirectories && b.type < CSSLOT.alternateCodeDirectoryLimit))
    .map((b) => parseCodeDirectory(b.bytes, b.type));
  return { blobs, codeDirectories };
}

export function parseCodeDirectory(bytes: Uint8Array, slot: number): CodeDirectory {
  const r = new ByteReader(bytes, 'CodeDirectory');
  if (r.u32be(0) !== CSMAGIC.codeDirectory) r.fail('not a CodeDirectory blob');
  const length = r.u32be(4);
  if (length !== bytes.length) r.fail(`CodeDirectory length ${length} differs from its blob (${bytes.length})`);
  const version = r.u32be(8);
  const flags = r.u32be(12);
  const hashOffset = r.u32be(16);
  const identOffset = r.u32be(20);
  const nSpecialSlots = r.u32be(24);
  const nCodeSlots = r.u32be(28);
  let codeLimit = r.u32be(32);
  const hashSize = r.u8(36);
  const hashTypeCode = r.u8(37);
  const platform = r.u8(38);
  const pageSizeLog2 = r.u8(39);
  let teamId: string | undefined;
  if (version >= 0x20200 && r.has(48, 4)) {
    const teamOffset = r.u32be(48);
    if (teamOffset) teamId = r.cString(teamOffset, length - teamOffset, 'teamID');
  }
  if (version >= 0x20300 && r.has(56, 8)) {
    const limit64 = r.u64be(56);
    if (limit64 !== 0n) codeLimit = Number(limit64);
  }
  const execSegFlags = version >= 0x20400 && r.has(80, 8) ? r.u64be(80) : undefined;
  const runtime = version >= 0x20500 && r.has(88, 4) ? r.u32be(88) : undefined;
  // The hash array must lie inside the blob: special slots before hashOffset, code slots after.
  r.need(hashOffset - nSpecialSlots * hashSize, (nSpecialSlots + nCodeSlots) * hashSize, 'CodeDirectory hash slots');
  return {
    slot,
    bytes,
    version,
    flags,
    hashOffset,
    nSpecialSlots,
    nCodeSlots,
    codeLimit,
    hashSize,
    hashType: HASH_TYPES[hashTypeCode],
    hashTypeCode,
    platform,
    pageSizeLog2,
    identifier: r.cString(identOffset, length - identOffset, 'identifier'),
    teamId,
    execSegFlags,
    runtime,
  };
}

/** Stored hash of code page i. */
export function codeSlotHash(cd: CodeDirectory, i: number): Uint8Array {
  return cd.bytes.subarray(cd.hashOffset + i * cd.hashSize, cd.hashOffset + (i + 1) * cd.hashSize);
}

/** Stored hash of special slot n (1 = Info.plist, 2 = requirements, 3 = CodeResources, 5 = entitlements, …). */
export function specialSlotHash(cd: CodeDirectory, n: number): Uint8Array | undefined {
  if (n < 1 || n > cd.nSpecialSlots) return undefined;
  return cd.bytes.subarray(cd.hashOffset - n * cd.hashSize, cd.hashOffset - (n - 1) * cd.hashSize);
}

export function flagNames(flags: number): string[] {
  return CS_FLAGS.filter(([bit]) => (flags & bit) !== 0).map(([, name]) => name);
}

/** Payload of a blob wrapper (the CMS blob at slot 0x10000), or of an entitlements blob. */
export function blobPayload(blob: BlobIndexEntry): Uint8Array {
  return blob.bytes.subarray(8);
}
