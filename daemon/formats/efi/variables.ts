// UEFI authenticated variable stores (EDK2 OVMF_VARS*.fd) and EFI_SIGNATURE_LISTs (UEFI spec 2.10 §32.4.1 "Signature
// Database"): enough to read the Secure Boot db that firmware ships. Pure; every read is bounds-checked.
// Layout (EDK2 MdeModulePkg/Include/Guid/VariableFormat.h, PiFirmwareVolume.h):
//   EFI_FIRMWARE_VOLUME_HEADER: ZeroVector[16], FileSystemGuid, FvLength u64 @32, Signature "_FVH" @40, Attributes
//     @44, HeaderLength u16 @48, …
//   VARIABLE_STORE_HEADER (28 bytes): Signature GUID (authenticated: aaf32c78-947b-439a-a180-2e144ec37792), Size u32,
//     Format u8 (0x5A), State u8 (0xFE), reserved.
//   AUTHENTICATED_VARIABLE_HEADER (60 bytes): StartId u16 0x55AA, State u8, _, Attributes u32, MonotonicCount u64,
//     TimeStamp EFI_TIME[16], PubKeyIndex u32, NameSize u32 @36, DataSize u32 @40, VendorGuid @44; then the UTF-16
//     name and the data; the next header is 4-byte aligned.
//   EFI_SIGNATURE_LIST: SignatureType GUID, SignatureListSize u32, SignatureHeaderSize u32, SignatureSize u32, header,
//     then EFI_SIGNATURE_DATA { SignatureOwner GUID, SignatureData[SignatureSize − 16] }.
import { ByteReader, roundUp } from '../bytes/reader.ts';

export const EFI_GUID = {
  authenticatedVariableStore: 'aaf32c78-947b-439a-a180-2e144ec37792',
  imageSecurityDatabase: 'd719b2cb-3d3a-4596-a3bc-dad00e67656f', // db, dbx
  globalVariable: '8be4df61-93ca-11d2-aa0d-00e098032b8c', // PK, KEK
  certX509: 'a5c059a1-94e4-4aa7-87b5-ab155c2bf072',
  certSha256: 'c1c41626-504c-4092-aca9-41f936934328',
} as const;

const VAR_START_ID = 0x55aa;
/** State bits are cleared as a variable ages: VAR_ADDED 0x3F is live; 0x3E (VAR_ADDED & IN_DELETED_TRANSITION) too. */
const LIVE_STATES = new Set([0x3f, 0x3e]);
const AUTH_HEADER = 60;
const MAX_VARIABLES = 4096;

export interface EfiVariable {
  readonly name: string;
  readonly vendorGuid: string;
  readonly attributes: number;
  readonly live: boolean;
  readonly data: Uint8Array;
}

export interface EfiSignature {
  readonly type: string;
  readonly owner: string;
  readonly data: Uint8Array;
}

/** GUID in EFI (mixed-endian) byte order → canonical lowercase text. */
export function guidAt(r: ByteReader, offset: number): string {
  const b = r.slice(offset, 16, 'GUID');
  const hex = (from: number, to: number, reverse: boolean): string => {
    const part = Array.from(b.subarray(from, to));
    return (reverse ? part.reverse() : part).map((x) => x.toString(16).padStart(2, '0')).join('');
  };
  return `${hex(0, 4, true)}-${hex(4, 6, true)}-${hex(6, 8, true)}-${hex(8, 10, false)}-${hex(10, 16, false)}`;
}

/** Every variable of the authenticated variable store in a firmware-volume image (OVMF_VARS*.fd), in store order. */
export function parseVariableStore(bytes: Uint8Array): EfiVariable[] {
  const r = new ByteReader(bytes, 'EFI variable store');
  if (r.cString(40, 4, 'FV signature') !== '_FVH') r.fail('no _FVH firmware-volume signature at offset 40');
  const store = r.u16le(48, 'FV HeaderLength');
  if (guidAt(r, store) !== EFI_GUID.authenticatedVariableStore) r.fail(`the variable store at ${store} is not an authenticated variable store`);
  const storeEnd = Math.min(bytes.length, store + r.u32le(store + 16, 'variable store size'));
  const out: EfiVariable[] = [];
  let at = roundUp(store + 28, 4);
  while (at + AUTH_HEADER <= storeEnd && r.u16le(at) === VAR_START_ID) {
    if (out.length >= MAX_VARIABLES) r.fail(`more than ${MAX_VARIABLES} variables`, 'LIMIT_EXCEEDED');
    const state = r.u8(at + 2);
    const nameSize = r.u32le(at + 36, 'NameSize');
    const dataSize = r.u32le(at + 40, 'DataSize');
    const nameAt = at + AUTH_HEADER;
    r.need(nameAt, nameSize + dataSize, 'variable name and data');
    out.push({
      name: r.utf16le(nameAt, Math.floor(nameSize / 2)).replace(/\0+$/u, ''),
      vendorGuid: guidAt(r, at + 44),
      attributes: r.u32le(at + 4),
      live: LIVE_STATES.has(state),
      data: r.slice(nameAt + nameSize, dataSize),
    });
    at = roundUp(nameAt + nameSize + dataSize, 4);
  }
  return out;
}

/** The signatures of a signature database variable (db, dbx, KEK, PK): a sequence of EFI_SIGNATURE_LISTs. */
export function parseSignatureLists(data: Uint8Array): EfiSignature[] {
  const r = new ByteReader(data, 'EFI_SIGNATURE_LIST');
  const out: EfiSignature[] = [];
  let at = 0;
  while (at < data.length) {
    const type = guidAt(r, at);
    const listSize = r.u32le(at + 16, 'SignatureListSize');
    const headerSize = r.u32le(at + 20, 'SignatureHeaderSize');
    const sigSize = r.u32le(at + 24, 'SignatureSize');
    r.need(at, listSize, 'signature list');
    if (sigSize < 16 || listSize < 28 + headerSize || (listSize - 28 - headerSize) % sigSize !== 0) {
      r.fail(`signature list at ${at}: sizes ${listSize}/${headerSize}/${sigSize} are inconsistent`);
    }
    for (let s = at + 28 + headerSize; s < at + listSize; s += sigSize) {
      out.push({ type, owner: guidAt(r, s), data: r.slice(s + 16, sigSize - 16, 'SignatureData') });
    }
    at += listSize;
  }
  return out;
}
