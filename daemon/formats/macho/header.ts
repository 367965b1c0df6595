// Mach-O and universal (fat) headers: which slices exist and for which CPUs (mach-o/loader.h, mach-o/fat.h).
// Code-signature parsing of each slice lands with the Apple code-signing work (issue 3).
import { ByteReader } from '../bytes/reader.ts';

const CPU: Record<number, string> = { 7: 'x86', 0x01000007: 'x86_64', 12: 'arm', 0x0100000c: 'arm64', 0x0200000c: 'arm64_32', 18: 'ppc', 0x01000012: 'ppc64' };
const FILE_TYPES: Record<number, string> = { 1: 'object', 2: 'exe', 6: 'dylib', 7: 'dylinker', 8: 'bundle', 11: 'dsym', 12: 'kext' };
const MAX_SLICES = 20;

export interface MachoSlice {
  readonly arch: string;
  readonly offset: number;
  readonly size: number;
  readonly bits: 32 | 64;
  readonly kind: string;
  readonly hasCodeSignature: boolean;
}

export function cpuName(cputype: number): string {
  return CPU[cputype >>> 0] ?? `cpu_${cputype >>> 0}`;
}

function thin(r: ByteReader, offset: number, size: number): MachoSlice {
  const magic = r.u32be(offset);
  const swap = magic === 0xcefaedfe || magic === 0xcffaedfe; // stored little-endian (every real Mach-O today)
  if (!swap && magic !== 0xfeedface && magic !== 0xfeedfacf) r.fail(`slice at ${offset} has no Mach-O magic`);
  const u32 = (o: number): number => (swap ? r.u32le(o) : r.u32be(o));
  const bits = magic === 0xcffaedfe || magic === 0xfeedfacf ? 64 : 32;
  const cputype = u32(offset + 4);
  const filetype = u32(offset + 12);
  const ncmds = u32(offset + 16);
  const sizeofcmds = u32(offset + 20);
  let at = offset + (bits === 64 ? 32 : 28);
  const end = at + sizeofcmds;
  let hasCodeSignature = false;
  for (let i = 0; i < Math.min(ncmds, 4096) && at + 8 <= end; i++) {
    const cmd = u32(at);
    const cmdsize = u32(at + 4);
    if (cmd === 0x1d) hasCodeSignature = true;
    if (cmdsize < 8) break;
    at += cmdsize;
  }
  return { arch: cpuName(cputype), offset, size, bits, kind: FILE_TYPES[filetype] ?? `type_${filetype}`, hasCodeSignature };
}

export function parseMachoSlices(bytes: Uint8Array): MachoSlice[] {
  const r = new ByteReader(bytes, 'Mach-O');
  const magic = r.u32be(0);
  if (magic === 0xcafebabe || magic === 0xcafebabf) {
    const wide = magic === 0xcafebabf;
    const n = r.u32be(4);
    if (n === 0 || n > MAX_SLICES) r.fail(`universal header declares ${n} slices`);
    const out: MachoSlice[] = [];
    for (let i = 0; i < n; i++) {
      const e = 8 + i * (wide ? 32 : 20);
      const offset = wide ? Number(r.u64be(e + 8)) : r.u32be(e + 8);
      const size = wide ? Number(r.u64be(e + 16)) : r.u32be(e + 12);
      r.need(offset, size, `slice ${i}`);
      out.push(thin(r, offset, size));
    }
    return out;
  }
  return [thin(r, 0, bytes.length)];
}
