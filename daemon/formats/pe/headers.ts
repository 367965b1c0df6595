// PE/COFF headers (Microsoft PE Format spec, "MS-DOS Stub", "COFF File Header", "Optional Header", "Section Table").
// Pure function over bytes; every read is bounds-checked by ByteReader.
import { ByteReader } from '../bytes/reader.ts';

export const PE32_MAGIC = 0x10b;
export const PE32_PLUS_MAGIC = 0x20b;
const MAX_SECTIONS = 96; // the loader's own limit on NumberOfSections

export const DataDirectory = {
  export: 0,
  import: 1,
  resource: 2,
  exception: 3,
  security: 4, // certificate table: a FILE offset, not an RVA
  baseReloc: 5,
  debug: 6,
  clr: 14,
} as const;

const MACHINES: Record<number, string> = {
  0x14c: 'x86',
  0x8664: 'x86_64',
  0xaa64: 'arm64',
  0xa641: 'arm64ec',
  0xa64e: 'arm64x',
  0x1c0: 'arm',
  0x1c2: 'thumb',
  0x1c4: 'armnt',
  0x200: 'ia64',
  0xebc: 'efi_bytecode',
  0x5032: 'riscv32',
  0x5064: 'riscv64',
  0x6232: 'loongarch32',
  0x6264: 'loongarch64',
};

export interface PeSection {
  readonly name: string;
  readonly virtualAddress: number;
  readonly virtualSize: number;
  readonly pointerToRawData: number;
  readonly sizeOfRawData: number;
  readonly characteristics: number;
}

export interface PeDataDirectory {
  readonly rva: number;
  readonly size: number;
}

export interface PeHeaders {
  readonly peOffset: number;
  readonly machine: number;
  readonly arch: string;
  readonly timeDateStamp: number;
  readonly characteristics: number;
  readonly magic: typeof PE32_MAGIC | typeof PE32_PLUS_MAGIC;
  readonly optionalHeaderOffset: number;
  readonly addressOfEntryPoint: number;
  readonly imageBase: bigint;
  readonly sectionAlignment: number;
  readonly fileAlignment: number;
  readonly sizeOfImage: number;
  readonly sizeOfHeaders: number;
  readonly subsystem: number;
  readonly dllCharacteristics: number;
  /** File offset of the CheckSum field, and its value. */
  readonly checksumOffset: number;
  readonly checksum: number;
  readonly numberOfRvaAndSizes: number;
  /** File offset of the certificate-table data directory entry, when the header has one. */
  readonly certDirectoryOffset: number | undefined;
  readonly dataDirectories: readonly PeDataDirectory[];
  readonly sections: readonly PeSection[];
}

export function isPe(bytes: Uint8Array): boolean {
  if (bytes.length < 0x40 || bytes[0] !== 0x4d || bytes[1] !== 0x5a) return false;
  const r = new ByteReader(bytes, 'PE');
  const peOffset = r.u32le(0x3c);
  return r.has(peOffset, 4) && r.u32le(peOffset) === 0x00004550;
}

export function parsePeHeaders(bytes: Uint8Array): PeHeaders {
  const r = new ByteReader(bytes, 'PE');
  if (r.length < 2 || r.u16le(0) !== 0x5a4d) r.fail('no MZ signature: not a PE file');
  const peOffset = r.u32le(0x3c, 'e_lfanew');
  if (r.u32le(peOffset, 'PE signature') !== 0x00004550) r.fail(`no PE\\0\\0 signature at e_lfanew ${peOffset}`);
  const coff = peOffset + 4;
  const machine = r.u16le(coff);
  const numberOfSections = r.u16le(coff + 2);
  const timeDateStamp = r.u32le(coff + 4);
  const sizeOfOptionalHeader = r.u16le(coff + 16);
  const characteristics = r.u16le(coff + 18);
  const oh = peOffset + 24;
  const magic = r.u16le(oh, 'optional header magic');
  if (magic !== PE32_MAGIC && magic !== PE32_PLUS_MAGIC) r.fail(`unknown optional header magic 0x${magic.toString(16)}`);
  const plus = magic === PE32_PLUS_MAGIC;
  // Fields up to and including NumberOfRvaAndSizes must be inside the declared optional header.
  const fixedSize = plus ? 112 : 96;
  if (sizeOfOptionalHeader < fixedSize) r.fail(`SizeOfOptionalHeader ${sizeOfOptionalHeader} is smaller than the fixed fields (${fixedSize})`);
  r.need(oh, sizeOfOptionalHeader, 'optional header');
  const numberOfRvaAndSizes = r.u32le(oh + (plus ? 108 : 92));
  const dirBase = oh + fixedSize;
  const dirCount = Math.min(numberOfRvaAndSizes, Math.floor((sizeOfOptionalHeader - fixedSize) / 8), 16);
  const dataDirectories: PeDataDirectory[] = [];
  for (let i = 0; i < dirCount; i++) {
    dataDirectories.push({ rva: r.u32le(dirBase + i * 8), size: r.u32le(dirBase + i * 8 + 4) });
  }
  if (numberOfSections > MAX_SECTIONS) r.fail(`NumberOfSections ${numberOfSections} exceeds ${MAX_SECTIONS}`, 'LIMIT_EXCEEDED');
  const sectionTable = oh + sizeOfOptionalHeader;
  r.need(sectionTable, numberOfSections * 40, 'section table');
  const sections: PeSection[] = [];
  for (let i = 0; i < numberOfSections; i++) {
    const s = sectionTable + i * 40;
    sections.push({
      name: r.cString(s, 8).replace(/[^\x20-\x7e]/g, '?'),
      virtualSize: r.u32le(s + 8),
      virtualAddress: r.u32le(s + 12),
      sizeOfRawData: r.u32le(s + 16),
      pointerToRawData: r.u32le(s + 20),
      characteristics: r.u32le(s + 36),
    });
  }
  return {
    peOffset,
    machine,
    arch: MACHINES[machine] ?? `unknown_0x${machine.toString(16)}`,
    timeDateStamp,
    characteristics,
    magic: magic as PeHeaders["magic"],
    optionalHeaderOffset: oh,
    addressOfEntryPoint: r.u32le(oh + 16),
    imageBase: plus ? r.u64le(oh + 24) : BigInt(r.u32le(oh + 28)),
    sectionAlignment: r.u32le(oh + 32),
    fileAlignment: r.u32le(oh + 36),
    sizeOfImage: r.u32le(oh + 56),
    sizeOfHeaders: r.u32le(oh + 60),
    checksumOffset: oh + 64,
    checksum: r.u32le(oh + 64),
    subsystem: r.u16le(oh + 68),
    dllCharacteristics: r.u16le(oh + 70),
    numberOfRvaAndSizes,
    certDirectoryOffset: dirCount > DataDirectory.security ? dirBase + DataDirectory.security * 8 : undefined,
    dataDirectories,
    sections,
  };
}

/** Maps an RVA to a file offset through the section that contains it (or the headers). */
export function rvaToOffset(headers: PeHeaders, rva: number): number | undefined {
  for (const s of headers.sections) {
    const span = Math.max(s.virtualSize, s.sizeOfRawData);
    if (rva >= s.virtualAddress && rva < s.virtualAddress + span) {
      const delta = rva - s.virtualAddress;
      if (delta >= s.sizeOfRawData) return undefined; // in the zero-filled tail: not in the file
      return s.pointerToRawData + delta;
    }
  }
  if (rva < headers.sizeOfHeaders) return rva;
  return undefined;
}

export function dataDirectory(headers: PeHeaders, index: number): PeDataDirectory | undefined {
  const d = headers.dataDirectories[index];
  return d && d.size > 0 ? d : undefined;
}

export type PeKind = 'exe' | 'dll' | 'driver' | 'efi';

const IMAGE_FILE_DLL = 0x2000;
const SUBSYSTEM_NATIVE = 1;

export function peKind(headers: PeHeaders): PeKind {
  if (headers.subsystem >= 10 && headers.subsystem <= 13) return 'efi';
  if (headers.subsystem === SUBSYSTEM_NATIVE) return 'driver';
  if (headers.characteristics & IMAGE_FILE_DLL) return 'dll';
  return 'exe';
}

/** End of the data the section table accounts for; bytes after it (and outside the certificate table) are overlay. */
export function endOfSectionData(headers: PeHeaders): number {
  let end = headers.sizeOfHeaders;
  for (const s of headers.sections) {
    if (s.sizeOfRawData > 0) end = Math.max(end, s.pointerToRawData + s.sizeOfRawData);
  }
  return end;
}
