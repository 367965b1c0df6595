// Mach-O load commands of one slice (mach-o/loader.h): segments and sections, the code-signature location, the
// libraries it links, rpaths, UUID, platform/minimum OS, constructor count and undefined external symbols.
// All offsets are relative to the slice. Pure function over bytes; every read bounds-checked.
import { ByteReader } from '../bytes/reader.ts';

export const LC = {
  SEGMENT: 0x1,
  SYMTAB: 0x2,
  DYSYMTAB: 0xb,
  LOAD_DYLIB: 0xc,
  ID_DYLIB: 0xd,
  UUID: 0x1b,
  SEGMENT_64: 0x19,
  CODE_SIGNATURE: 0x1d,
  LAZY_LOAD_DYLIB: 0x20,
  VERSION_MIN_MACOSX: 0x24,
  BUILD_VERSION: 0x32,
  LOAD_WEAK_DYLIB: 0x80000018,
  RPATH: 0x8000001c,
  REEXPORT_DYLIB: 0x8000001f,
  LOAD_UPWARD_DYLIB: 0x80000023,
} as const;

const MAX_COMMANDS = 4096;
const MAX_SYMBOLS = 200_000;
const S_MOD_INIT_FUNC_POINTERS = 0x9;
const S_INIT_FUNC_OFFSETS = 0x16;

const CPU: Record<number, string> = { 7: 'x86', 0x01000007: 'x86_64', 12: 'arm', 0x0100000c: 'arm64', 0x0200000c: 'arm64_32', 18: 'ppc', 0x01000012: 'ppc64' };
const FILE_TYPES: Record<number, string> = { 1: 'object', 2: 'exe', 6: 'dylib', 7: 'dylinker', 8: 'bundle', 9: 'dylib-stub', 11: 'dsym', 12: 'kext' };
const PLATFORMS: Record<number, string> = { 1: 'macos', 2: 'ios', 3: 'tvos', 4: 'watchos', 5: 'bridgeos', 6: 'maccatalyst', 7: 'ios-simulator', 11: 'visionos' };

export function cpuName(cputype: number, cpusubtype = 0): string {
  const base = CPU[cputype >>> 0] ?? `cpu_${cputype >>> 0}`;
  return base === 'arm64' && (cpusubtype & 0xff) === 2 ? 'arm64e' : base;
}

export interface MachoSection {
  readonly segname: string;
  readonly sectname: string;
  readonly offset: number;
  readonly size: number;
  readonly type: number;
}

export interface MachoSegment {
  readonly name: string;
  readonly fileoff: number;
  readonly filesize: number;
  readonly sections: readonly MachoSection[];
}

export interface DylibReference {
  readonly name: string;
  readonly kind: 'load' | 'weak' | 'reexport' | 'upward' | 'lazy';
  /** X.Y.Z from the 16.8.8-bit encoding. */
  readonly currentVersion: string;
  readonly compatibilityVersion: string;
}

export interface MachoLoadInfo {
  readonly arch: string;
  readonly cputype: number;
  readonly cpusubtype: number;
  readonly bits: 32 | 64;
  readonly kind: string;
  readonly flags: number;
  readonly segments: readonly MachoSegment[];
  readonly codeSignature: { readonly dataoff: number; readonly datasize: number } | undefined;
  readonly idDylib: DylibReference | undefined;
  readonly dylibs: readonly DylibReference[];
  readonly rpaths: readonly string[];
  readonly uuid: string | undefined;
  readonly platform: { readonly name: string; readonly minos: string; readonly sdk: string } | undefined;
  /** Functions the loader runs before main: entries of __mod_init_func / __init_offsets. */
  readonly constructors: number;
  /** Undefined external symbols: what the slice imports. */
  readonly imports: readonly string[];
  /** The embedded Info.plist (__TEXT,__info_plist) of a bare executable, if any. */
  readonly infoPlist: Uint8Array | undefined;
  /** Layout findings worth a problem (the slice still parses). */
  readonly anomalies: readonly string[];
}

export const versionString = (v: number): string => `${v >>> 16}.${(v >>> 8) & 0xff}.${v & 0xff}`;
const nibbleVersion = (v: number): string => `${v >>> 16}.${(v >>> 8) & 0xff}.${v & 0xff}`;

/** Parses the header and load commands of the slice at [0, bytes.length). */
export function parseLoadCommands(bytes: Uint8Array): MachoLoadInfo {
  const r = new ByteReader(bytes, 'Mach-O');
  const magic = r.u32be(0, 'magic');
  const le = magic === 0xcefaedfe || magic === 0xcffaedfe;
  if (!le && magic !== 0xfeedface && magic !== 0xfeedfacf) r.fail(`no Mach-O magic (0x${magic.toString(16)})`);
  const u32 = (o: number, what?: string): number => (le ? r.u32le(o, what) : r.u32be(o, what));
  const u64 = (o: number, what?: string): number => Number(le ? r.u64le(o, what) : r.u64be(o, what));
  const bits = magic === 0xcffaedfe || magic === 0xfeedfacf ? 64 : 32;
  const cputype = u32(4);
  const cpusubtype = u32(8);
  const filetype = u32(12);
  const ncmds = u32(16);
  const sizeofcmds = u32(20);
  const flags = u32(24);
  const headerSize = bits === 64 ? 32 : 28;
  if (ncmds > MAX_COMMANDS) r.fail(`${ncmds} load commands exceeds ${MAX_COMMANDS}`, 'LIMIT_EXCEEDED');
  r.need(headerSize, sizeofcmds, 'load commands');
  const str = (o: number, end: number): string => r.cString(o, Math.max(0, end - o));

  const segments: MachoSegment[] = [];
  const dylibs: DylibReference[] = [];
  const rpaths: string[] = [];
  const anomalies: string[] = [];
  let codeSignature: MachoLoadInfo['codeSignature'];
  let idDylib: DylibReference | undefined;
  let uuid: string | undefined;
  let platform: MachoLoadInfo['platform'];
  let symtab: { symoff: number; nsyms: number; stroff: number; strsize: number } | undefined;
  let undefRange: { first: number; count: number } | undefined;

  let at = headerSize;
  const end = headerSize + sizeofcmds;
  for (let i = 0; i < ncmds; i++) {
    if (at + 8 > end) {
      anomalies.push(`load command ${i} starts past sizeofcmds`);
      break;
    }
    const cmd = u32(at);
    const size = u32(at + 4);
    if (size < 8 || at + size > end) {
      anomalies.push(`load command ${i} (0x${cmd.toString(16)}) has size ${size}, outside sizeofcmds`);
      break;
    }
    const dylib = (kind: DylibReference['kind']): DylibReference => ({
      name: str(at + u32(at + 8), at + size),
      kind,
      currentVersion: versionString(u32(at + 16)),
      compatibilityVersion: versionString(u32(at + 20)),
    });
    switch (cmd) {
      case LC.SEGMENT:
      case LC.SEGMENT_64: {
        const is64 = cmd === LC.SEGMENT_64;
        const name = r.cString(at + 8, 16);
        const fileoff = is64 ? u64(at + 40) : u32(at + 32);
        const filesize = is64 ? u64(at + 48) : u32(at + 36);
        const nsects = u32(at + (is64 ? 64 : 48));
        const sectSize = is64 ? 80 : 68;
        const first = at + (is64 ? 72 : 56);
        const sections: MachoSection[] = [];
        for (let s = 0; s < nsects && first + (s + 1) * sectSize <= at + size; s++) {
          const o = first + s * sectSize;
          sections.push({
            sectname: r.cString(o, 16),
            segname: r.cString(o + 16, 16),
            size: is64 ? u64(o + 40) : u32(o + 36),
            offset: u32(o + (is64 ? 48 : 40)),
            type: u32(o + (is64 ? 64 : 56)) & 0xff,
          });
        }
        segments.push({ name, fileoff, filesize, sections });
        break;
      }
      case LC.CODE_SIGNATURE:
        codeSignature = { dataoff: u32(at + 8), datasize: u32(at + 12) };
        break;
      case LC.ID_DYLIB:
        idDylib = dylib('load');
        break;
      case LC.LOAD_DYLIB:
        dylibs.push(dylib('load'));
        break;
      case LC.LOAD_WEAK_DYLIB:
        dylibs.push(dylib('weak'));
        break;
      case LC.REEXPORT_DYLIB:
        dylibs.push(dylib('reexport'));
        break;
      case LC.LOAD_UPWARD_DYLIB:
        dylibs.push(dylib('upward'));
        break;
      case LC.LAZY_LOAD_DYLIB:
        dylibs.push(dylib('lazy'));
        break;
      case LC.RPATH:
        rpaths.push(str(at + u32(at + 8), at + size));
        break;
      case LC.UUID:
        uuid = Buffer.from(r.slice(at + 8, 16)).toString('hex');
        break;
      case LC.BUILD_VERSION:
        platform = { name: PLATFORMS[u32(at + 8)] ?? `platform_${u32(at + 8)}`, minos: nibbleVersion(u32(at + 12)), sdk: nibbleVersion(u32(at + 16)) };
        break;
      case LC.VERSION_MIN_MACOSX:
        platform ??= { name: 'macos', minos: nibbleVersion(u32(at + 8)), sdk: nibbleVersion(u32(at + 12)) };
        break;
      case LC.SYMTAB:
        symtab = { symoff: u32(at + 8), nsyms: u32(at + 12), stroff: u32(at + 16), strsize: u32(at + 20) };
        break;
      case LC.DYSYMTAB:
        undefRange = { first: u32(at + 8 + 4 * 4), count: u32(at + 8 + 5 * 4) };
        break;
    }
    at += size;
  }

  // Constructors: __mod_init_func holds pointers, __init_offsets 32-bit offsets (arm64e / newer linkers).
  let constructors = 0;
  let infoPlist: Uint8Array | undefined;
  for (const seg of segments) {
    for (const s of seg.sections) {
      if (s.type === S_MOD_INIT_FUNC_POINTERS) constructors += Math.floor(s.size / (bits === 64 ? 8 : 4));
      else if (s.type === S_INIT_FUNC_OFFSETS) constructors += Math.floor(s.size / 4);
      if (s.segname === '__TEXT' && s.sectname === '__info_plist' && r.has(s.offset, s.size)) infoPlist = r.slice(s.offset, s.size);
    }
  }

  const imports = symtab ? undefinedSymbols(r, symtab, undefRange, bits, le, anomalies) : [];

  // __LINKEDIT must end the slice: anything after it is outside every segment (and outside the signature's reach).
  const linkedit = segments.find((s) => s.name === '__LINKEDIT');
  if (linkedit && linkedit.fileoff + linkedit.filesize !== bytes.length) {
    anomalies.push(`__LINKEDIT ends at ${linkedit.fileoff + linkedit.filesize} but the slice is ${bytes.length} bytes`);
  }
  return {
    arch: cpuName(cputype, cpusubtype),
    cputype,
    cpusubtype,
    bits,
    kind: FILE_TYPES[filetype] ?? `type_${filetype}`,
    flags,
    segments,
    codeSignature,
    idDylib,
    dylibs,
    rpaths,
    uuid,
    platform,
    constructors,
    imports,
    infoPlist,
    anomalies,
  };
}

function undefinedSymbols(
  r: ByteReader,
  symtab: { symoff: number; nsyms: number; stroff: number; strsize: number },
  range: { first: number; count: number } | undefined,
  bits: 32 | 64,
  le: boolean,
  anomalies: string[],
): string[] {
  const entry = bits === 64 ? 16 : 12;
  const first = range && range.count > 0 ? range.first : 0;
  const count = range && range.count > 0 ? range.count : symtab.nsyms;
  if (first + count > symtab.nsyms || count > MAX_SYMBOLS || !r.has(symtab.symoff + first * entry, count * entry) || !r.has(symtab.stroff, symtab.strsize)) {
    anomalies.push('symbol table is out of bounds or too large; imports not read');
    return [];
  }
  const out: string[] = [];
  for (let i = first; i < first + count; i++) {
    const o = symtab.symoff + i * entry;
    const type = r.u8(o + 4);
    const isStab = (type & 0xe0) !== 0;
    const isExternalUndefined = (type & 0x0e) === 0 && (type & 0x01) === 1;
    if (isStab || !isExternalUndefined) continue;
    const strx = le ? r.u32le(o) : r.u32be(o);
    if (strx >= symtab.strsize) continue;
    out.push(r.cString(symtab.stroff + strx, symtab.strsize - strx));
  }
  return out;
}
