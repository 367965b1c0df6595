// ELF essentials for Linux modules (System V gABI, "ELF Header", "Dynamic Section", "Note Section"): class, byte
// order, machine, type, GNU build-id, DT_NEEDED, DT_RPATH / DT_RUNPATH, DT_SONAME. Linux modules carry no
// embedded signature: their status is "unsigned", and their identity is this record plus their hashes.
import { ByteReader } from '../bytes/reader.ts';

const MACHINES: Record<number, string> = { 3: 'x86', 62: 'x86_64', 40: 'arm', 183: 'arm64', 243: 'riscv64', 8: 'mips', 21: 'ppc64', 22: 's390x', 258: 'loongarch64' };
const TYPES: Record<number, string> = { 1: 'relocatable', 2: 'exe', 3: 'shared', 4: 'core' };
const PT_DYNAMIC = 2;
const PT_NOTE = 4;
const PT_INTERP = 3;
const DT = { NULL: 0, NEEDED: 1, STRTAB: 5, SONAME: 14, RPATH: 15, RUNPATH: 29 } as const;
const MAX_HEADERS = 512;
const MAX_DYNAMIC = 4096;

export interface ElfInfo {
  readonly bits: 32 | 64;
  readonly littleEndian: boolean;
  readonly arch: string;
  /** exe, shared (a PIE executable is also "shared" with an interpreter: see `interpreter`). */
  readonly kind: string;
  readonly interpreter: string | undefined;
  readonly buildId: string | undefined;
  readonly soname: string | undefined;
  readonly needed: readonly string[];
  readonly rpath: readonly string[];
  readonly runpath: readonly string[];
}

export function parseElf(bytes: Uint8Array): ElfInfo {
  const r = new ByteReader(bytes, 'ELF');
  if (r.u32be(0) !== 0x7f454c46) r.fail('no ELF magic');
  const cls = r.u8(4);
  const data = r.u8(5);
  if (cls !== 1 && cls !== 2) r.fail(`unknown ELF class ${cls}`);
  if (data !== 1 && data !== 2) r.fail(`unknown ELF data encoding ${data}`);
  const le = data === 1;
  const b64 = cls === 2;
  const u16 = (o: number): number => (le ? r.u16le(o) : (r.u8(o) << 8) | r.u8(o + 1));
  const u32 = (o: number): number => (le ? r.u32le(o) : r.u32be(o));
  const word = (o: number): number => (b64 ? Number(le ? r.u64le(o) : r.u64be(o)) : u32(o));
  const type = u16(16);
  const machine = u16(18);
  const phoff = word(b64 ? 32 : 28);
  const phentsize = u16(b64 ? 54 : 42);
  const phnum = u16(b64 ? 56 : 44);
  if (phnum > MAX_HEADERS) r.fail(`${phnum} program headers`, 'LIMIT_EXCEEDED');
  const segments: Array<{ type: number; offset: number; vaddr: number; filesz: number }> = [];
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    if (!r.has(p, b64 ? 56 : 32)) break;
    segments.push(
      b64
        ? { type: u32(p), offset: word(p + 8), vaddr: word(p + 16), filesz: word(p + 32) }
        : { type: u32(p), offset: u32(p + 4), vaddr: u32(p + 8), filesz: u32(p + 16) },
    );
  }
  const interp = segments.find((s) => s.type === PT_INTERP);
  const interpreter = interp && r.has(interp.offset, 1) ? r.cString(interp.offset, interp.filesz) : undefined;

  let buildId: string | undefined;
  for (const note of segments.filter((s) => s.type === PT_NOTE)) {
    let at = note.offset;
    const end = Math.min(note.offset + note.filesz, bytes.length);
    while (at + 12 <= end && buildId === undefined) {
      const namesz = u32(at);
      const descsz = u32(at + 4);
      const ntype = u32(at + 8);
      const name = r.cString(at + 12, namesz);
      const desc = at + 12 + ((namesz + 3) & ~3);
      if (name === 'GNU' && ntype === 3 && r.has(desc, descsz)) buildId = Buffer.from(r.slice(desc, descsz)).toString('hex');
      at = desc + ((descsz + 3) & ~3);
    }
  }

  const needed: string[] = [];
  const rpath: string[] = [];
  const runpath: string[] = [];
  let soname: string | undefined;
  const dyn = segments.find((s) => s.type === PT_DYNAMIC);
  if (dyn) {
    const entries: Array<[number, number]> = [];
    const size = b64 ? 16 : 8;
    for (let i = 0; i < Math.min(MAX_DYNAMIC, Math.floor(dyn.filesz / size)); i++) {
      const o = dyn.offset + i * size;
      if (!r.has(o, size)) break;
      const tag = b64 ? word(o) : u32(o);
      if (tag === DT.NULL) break;
      entries.push([tag, b64 ? word(o + 8) : u32(o + 4)]);
    }
    // DT_STRTAB is an address: map it to a file offset through the loadable segments.
    const strtabAddr = entries.find(([t]) => t === DT.STRTAB)?.[1];
    const load = segments.filter((s) => s.type === 1);
    const seg = strtabAddr === undefined ? undefined : load.find((s) => strtabAddr >= s.vaddr && strtabAddr < s.vaddr + s.filesz);
    if (seg && strtabAddr !== undefined) {
      const strtab = seg.offset + (strtabAddr - seg.vaddr);
      const text = (off: number): string | undefined => (r.has(strtab + off, 1) ? r.cString(strtab + off, 4096) : undefined);
      for (const [tag, val] of entries) {
        const s = tag === DT.NEEDED || tag === DT.RPATH || tag === DT.RUNPATH || tag === DT.SONAME ? text(val) : undefined;
        if (s === undefined) continue;
        if (tag === DT.NEEDED) needed.push(s);
        else if (tag === DT.RPATH) rpath.push(...s.split(':'));
        else if (tag === DT.RUNPATH) runpath.push(...s.split(':'));
        else soname = s;
      }
    }
  }
  return {
    bits: b64 ? 64 : 32,
    littleEndian: le,
    arch: MACHINES[machine] ?? `unknown_${machine}`,
    kind: type === 3 && interpreter ? 'exe' : (TYPES[type] ?? `type_${type}`),
    interpreter,
    buildId,
    soname,
    needed,
    rpath,
    runpath,
  };
}
