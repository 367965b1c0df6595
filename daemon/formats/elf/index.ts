// ELF header essentials (System V ABI, "ELF Header"): class, byte order, machine, type. Linux modules carry no
// embedded signature, so this is what sealwatch records about them until build-id/DT_NEEDED land (issue 3).
import { ByteReader } from '../bytes/reader.ts';

const MACHINES: Record<number, string> = { 3: 'x86', 62: 'x86_64', 40: 'arm', 183: 'arm64', 243: 'riscv64', 8: 'mips', 21: 'ppc64', 22: 's390x', 258: 'loongarch64' };
const TYPES: Record<number, string> = { 1: 'relocatable', 2: 'exe', 3: 'shared', 4: 'core' };

export interface ElfHeader {
  readonly bits: 32 | 64;
  readonly littleEndian: boolean;
  readonly arch: string;
  readonly kind: string;
}

export function parseElfHeader(bytes: Uint8Array): ElfHeader {
  const r = new ByteReader(bytes, 'ELF');
  if (r.u32be(0) !== 0x7f454c46) r.fail('no ELF magic');
  const cls = r.u8(4);
  const data = r.u8(5);
  if (cls !== 1 && cls !== 2) r.fail(`unknown ELF class ${cls}`);
  if (data !== 1 && data !== 2) r.fail(`unknown ELF data encoding ${data}`);
  const little = data === 1;
  const type = little ? r.u16le(16) : (r.u8(16) << 8) | r.u8(17);
  const machine = little ? r.u16le(18) : (r.u8(18) << 8) | r.u8(19);
  return { bits: cls === 1 ? 32 : 64, littleEndian: little, arch: MACHINES[machine] ?? `unknown_${machine}`, kind: TYPES[type] ?? `type_${type}` };
}
