// Thin and universal (fat) Mach-O containers (mach-o/fat.h). Each slice is signed on its own and all its offsets are
// slice-relative. Strictness as Apple applies it: slices inside the file and not overlapping, zero bytes between
// them, nothing after the last (CVE-2018-6336: a crafted fat file fooled third-party signature checks).
import { ByteReader, isAllZero } from '../bytes/reader.ts';
import { isUniversalHeader, MAX_FAT_ARCHS } from '../sniff/index.ts';
import { cpuName } from './load-commands.ts';


export interface SliceLocation {
  readonly index: number;
  readonly offset: number;
  readonly size: number;
  readonly align: number;
  /** CPU from the fat header (checked against the slice's own header by the caller). */
  readonly arch: string;
}

export interface MachoContainer {
  readonly universal: boolean;
  readonly slices: readonly SliceLocation[];
  readonly anomalies: readonly { readonly code: 'FAT_GAP_NONZERO' | 'DATA_AFTER_LAST_SLICE' | 'SLICE_OVERLAP'; readonly message: string }[];
}

export function isMachO(bytes: Uint8Array): boolean {
  if (bytes.length < 8) return false;
  const m = ((bytes[0] ?? 0) << 24 | (bytes[1] ?? 0) << 16 | (bytes[2] ?? 0) << 8 | (bytes[3] ?? 0)) >>> 0;
  if (m === 0xfeedface || m === 0xfeedfacf || m === 0xcefaedfe || m === 0xcffaedfe) return true;
  return isUniversalHeader(bytes);
}

export function parseContainer(bytes: Uint8Array): MachoContainer {
  const r = new ByteReader(bytes, 'Mach-O');
  const magic = r.u32be(0, 'magic');
  if (magic !== 0xcafebabe && magic !== 0xcafebabf) {
    return { universal: false, slices: [{ index: 0, offset: 0, size: bytes.length, align: 0, arch: '' }], anomalies: [] };
  }
  const wide = magic === 0xcafebabf;
  const n = r.u32be(4);
  // Up to dyld's bound; none at all is a universal file whose every byte after the header is in no slice.
  if (n > MAX_FAT_ARCHS[magic]) r.fail(`universal header declares ${n} slices`, 'LIMIT_EXCEEDED');
  const slices: SliceLocation[] = [];
  for (let i = 0; i < n; i++) {
    const e = 8 + i * (wide ? 32 : 20);
    const cputype = r.u32be(e);
    const cpusubtype = r.u32be(e + 4);
    const offset = wide ? Number(r.u64be(e + 8)) : r.u32be(e + 8);
    const size = wide ? Number(r.u64be(e + 16)) : r.u32be(e + 12);
    const align = r.u32be(e + (wide ? 24 : 16));
    r.need(offset, size, `slice ${i}`);
    slices.push({ index: i, offset, size, align, arch: cpuName(cputype, cpusubtype) });
  }
  const anomalies: MachoContainer['anomalies'][number][] = [];
  const ordered = [...slices].sort((a, b) => a.offset - b.offset);
  const headerEnd = 8 + n * (wide ? 32 : 20);
  let cursor = headerEnd;
  for (const s of ordered) {
    if (s.offset < cursor) {
      anomalies.push({ code: 'SLICE_OVERLAP', message: `slice ${s.index} (${s.arch}) at ${s.offset} overlaps the header or another slice` });
    } else if (!isAllZero(bytes.subarray(cursor, s.offset))) {
      anomalies.push({ code: 'FAT_GAP_NONZERO', message: `non-zero bytes between ${cursor} and slice ${s.index} (${s.arch}) at ${s.offset}` });
    }
    cursor = Math.max(cursor, s.offset + s.size);
  }
  if (cursor < bytes.length) {
    anomalies.push({ code: 'DATA_AFTER_LAST_SLICE', message: `${bytes.length - cursor} bytes after the last slice are in no slice and under no signature` });
  }
  return { universal: true, slices, anomalies };
}
