// VS_VERSIONINFO from the resource section (VERIFY-NOTES A13; "VS_VERSIONINFO structure" in the Win32 docs):
// resource directory → RT_VERSION (16) → first name → first language → VS_FIXEDFILEINFO and StringFileInfo.
import { ByteReader } from '../bytes/reader.ts';
import { DataDirectory, dataDirectory, rvaToOffset, type PeHeaders } from './headers.ts';

const RT_VERSION = 16;
const FIXED_FILE_INFO_SIGNATURE = 0xfeef04bd;
const MAX_BLOCKS = 512; // bounds the walk on hostile input

export interface PeVersionInfo {
  /** From VS_FIXEDFILEINFO, "a.b.c.d". */
  readonly fileVersionNumber?: string;
  readonly productVersionNumber?: string;
  /** StringFileInfo values of the first string table (FileVersion, ProductVersion, CompanyName, …). */
  readonly strings: Readonly<Record<string, string>>;
  /** The string table's key: language + code page, 8 hex digits. */
  readonly stringTable?: string;
}

export function parseVersionInfo(bytes: Uint8Array, headers: PeHeaders): PeVersionInfo | undefined {
  const dir = dataDirectory(headers, DataDirectory.resource);
  if (!dir) return undefined;
  const base = rvaToOffset(headers, dir.rva);
  if (base === undefined) return undefined;
  const r = new ByteReader(bytes, 'PE version resource');
  const typeDir = findEntry(r, base, base, RT_VERSION);
  if (typeDir === undefined) return undefined;
  const nameDir = firstSubdirectory(r, base, typeDir);
  if (nameDir === undefined) return undefined;
  const dataEntry = firstLeaf(r, base, nameDir);
  if (dataEntry === undefined) return undefined;
  const dataRva = r.u32le(dataEntry);
  const dataSize = r.u32le(dataEntry + 4);
  const offset = rvaToOffset(headers, dataRva);
  if (offset === undefined) return r.fail(`version resource RVA 0x${dataRva.toString(16)} is not in any section`);
  const block = r.slice(offset, Math.min(dataSize, r.length - offset), 'VS_VERSIONINFO');
  return parseVsVersionInfo(new ByteReader(block, 'VS_VERSIONINFO'));
}

/** Finds the entry with this numeric id in the directory at dirOffset; returns its subdirectory's file offset. */
function findEntry(r: ByteReader, base: number, dirOffset: number, id: number): number | undefined {
  const named = r.u16le(dirOffset + 12);
  const ids = r.u16le(dirOffset + 14);
  for (let i = 0; i < named + ids; i++) {
    const e = dirOffset + 16 + i * 8;
    const name = r.u32le(e);
    const target = r.u32le(e + 4);
    if (!(name & 0x80000000) && name === id && target & 0x80000000) return base + (target & 0x7fffffff);
  }
  return undefined;
}

function firstSubdirectory(r: ByteReader, base: number, dirOffset: number): number | undefined {
  const count = r.u16le(dirOffset + 12) + r.u16le(dirOffset + 14);
  for (let i = 0; i < count; i++) {
    const target = r.u32le(dirOffset + 16 + i * 8 + 4);
    if (target & 0x80000000) return base + (target & 0x7fffffff);
  }
  return undefined;
}

function firstLeaf(r: ByteReader, base: number, dirOffset: number): number | undefined {
  const count = r.u16le(dirOffset + 12) + r.u16le(dirOffset + 14);
  for (let i = 0; i < count; i++) {
    const target = r.u32le(dirOffset + 16 + i * 8 + 4);
    if (!(target & 0x80000000)) return base + target;
  }
  return undefined;
}

interface VersionBlock {
  readonly key: string;
  readonly valueOffset: number;
  readonly valueLength: number; // bytes
  readonly isText: boolean;
  readonly children: readonly VersionBlock[];
}

const align4 = (n: number): number => (n + 3) & ~3;

function readBlock(r: ByteReader, offset: number, budget: { blocks: number }, depth: number): VersionBlock {
  if (--budget.blocks < 0 || depth > 4) r.fail('version resource nests too deeply or has too many blocks', 'LIMIT_EXCEEDED');
  const length = r.u16le(offset, 'wLength');
  const valueLength = r.u16le(offset + 2, 'wValueLength');
  const type = r.u16le(offset + 4, 'wType');
  if (length < 6) r.fail(`version block at ${offset} has wLength ${length}`);
  const end = Math.min(offset + length, r.length);
  const keyChars = r.utf16zLength(offset + 6, (end - offset - 6) >> 1);
  const key = r.utf16le(offset + 6, keyChars, 'version block key');
  const valueOffset = align4(offset + 6 + (keyChars + 1) * 2);
  const isText = type === 1;
  // Text values count characters (VERIFY-NOTES A13); binary values count bytes.
  const valueBytes = Math.max(0, Math.min(isText ? valueLength * 2 : valueLength, end - valueOffset));
  const children: VersionBlock[] = [];
  let child = align4(valueOffset + valueBytes);
  while (child + 6 <= end) {
    const childLength = r.u16le(child);
    if (childLength === 0) break;
    children.push(readBlock(r, child, budget, depth + 1));
    child = align4(child + childLength);
  }
  return { key, valueOffset, valueLength: valueBytes, isText, children };
}

function parseVsVersionInfo(r: ByteReader): PeVersionInfo {
  const root = readBlock(r, 0, { blocks: MAX_BLOCKS }, 0);
  if (root.key !== 'VS_VERSION_INFO') r.fail(`version resource key is not VS_VERSION_INFO (starts ${JSON.stringify(root.key.slice(0, 16))})`);
  let fileVersionNumber: string | undefined;
  let productVersionNumber: string | undefined;
  if (root.valueLength >= 52 && r.u32le(root.valueOffset) === FIXED_FILE_INFO_SIGNATURE) {
    const v = root.valueOffset;
    fileVersionNumber = quad(r.u32le(v + 8), r.u32le(v + 12));
    productVersionNumber = quad(r.u32le(v + 16), r.u32le(v + 20));
  }
  const strings: Record<string, string> = {};
  let stringTable: string | undefined;
  const sfi = root.children.find((c) => c.key === 'StringFileInfo');
  const table = sfi?.children[0];
  if (table) {
    stringTable = table.key;
    for (const s of table.children) {
      const text = s.isText
        ? r.utf16le(s.valueOffset, s.valueLength >> 1)
        : Buffer.from(r.slice(s.valueOffset, s.valueLength)).toString('utf16le');
      strings[s.key] = text.replace(/\0+$/u, '').split('\0')[0] ?? '';
    }
  }
  return {
    ...(fileVersionNumber === undefined ? {} : { fileVersionNumber }),
    ...(productVersionNumber === undefined ? {} : { productVersionNumber }),
    strings,
    ...(stringTable === undefined ? {} : { stringTable }),
  };
}

function quad(ms: number, ls: number): string {
  return `${ms >>> 16}.${ms & 0xffff}.${ls >>> 16}.${ls & 0xffff}`;
}
