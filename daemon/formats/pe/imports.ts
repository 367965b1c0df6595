// Import and delay-import tables (PE Format spec, "The .idata Section", "Delay-Load Import Tables"):
// which DLLs a module loads and which functions it takes from each.
import { ByteReader } from '../bytes/reader.ts';
import { dataDirectory, PE32_PLUS_MAGIC, rvaToOffset, type PeHeaders } from './headers.ts';

const MAX_DLLS = 2048;
const MAX_FUNCTIONS = 65536;
const DELAY_IMPORT = 13;

export interface PeImport {
  readonly dll: string;
  /** Function names; ordinal imports appear as "#123". */
  readonly functions: readonly string[];
  readonly delayLoaded: boolean;
}

export function parseImports(bytes: Uint8Array, headers: PeHeaders): PeImport[] {
  const r = new ByteReader(bytes, 'PE imports');
  const budget = { functions: MAX_FUNCTIONS };
  const out: PeImport[] = [];
  const dir = dataDirectory(headers, 1);
  const start = dir && rvaToOffset(headers, dir.rva);
  if (start !== undefined) {
    for (let i = 0; i < MAX_DLLS; i++) {
      const d = start + i * 20;
      if (!r.has(d, 20)) break;
      const lookup = r.u32le(d);
      const nameRva = r.u32le(d + 12);
      const iat = r.u32le(d + 16);
      if (lookup === 0 && nameRva === 0 && iat === 0) break;
      const dll = stringAt(r, headers, nameRva);
      if (dll === undefined) continue;
      out.push({ dll, functions: thunks(r, headers, lookup || iat, budget), delayLoaded: false });
    }
  }
  const delay = dataDirectory(headers, DELAY_IMPORT);
  const delayStart = delay && rvaToOffset(headers, delay.rva);
  if (delayStart !== undefined) {
    for (let i = 0; i < MAX_DLLS; i++) {
      const d = delayStart + i * 32;
      if (!r.has(d, 32)) break;
      const attributes = r.u32le(d);
      const nameRva = r.u32le(d + 4);
      const intRva = r.u32le(d + 16);
      if (nameRva === 0) break;
      // Old (VC6) delay tables hold VAs instead of RVAs: attribute bit 0 clear.
      const rvaBased = (attributes & 1) === 1;
      const base = rvaBased ? 0 : Number(headers.imageBase);
      const dll = stringAt(r, headers, nameRva - base);
      if (dll === undefined) continue;
      out.push({ dll, functions: thunks(r, headers, intRva - base, budget), delayLoaded: true });
    }
  }
  return out;
}

function stringAt(r: ByteReader, headers: PeHeaders, rva: number): string | undefined {
  const off = rvaToOffset(headers, rva);
  if (off === undefined || !r.has(off, 1)) return undefined;
  return r.cString(off, 512);
}

function thunks(r: ByteReader, headers: PeHeaders, rva: number, budget: { functions: number }): string[] {
  const plus = headers.magic === PE32_PLUS_MAGIC;
  const size = plus ? 8 : 4;
  const names: string[] = [];
  let at = rvaToOffset(headers, rva);
  if (at === undefined) return names;
  while (r.has(at, size) && budget.functions-- > 0) {
    const value = plus ? r.u64le(at) : BigInt(r.u32le(at));
    if (value === 0n) break;
    const ordinalFlag = plus ? 1n << 63n : 1n << 31n;
    if (value & ordinalFlag) {
      names.push(`#${Number(value & 0xffffn)}`);
    } else {
      const byName = rvaToOffset(headers, Number(value & 0x7fffffffn));
      if (byName !== undefined && r.has(byName + 2, 1)) names.push(r.cString(byName + 2, 512));
    }
    at += size;
  }
  return names;
}
