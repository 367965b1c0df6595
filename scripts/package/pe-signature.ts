// Takes the Authenticode signature off a PE file before the SEA blob goes in (what `signtool remove /s` does): the
// security directory entry zeroed and the certificate table, last in the file, cut off. Injecting into a signed
// node.exe leaves a certificate table that is no longer last and no longer covers the file — a broken signature that
// `sealwatch inspect` itself calls malformed; an unsigned file is what the organisation's signtool expects. After the
// injection the PE checksum is computed again (signtool would too), so the file is a clean, consistent, unsigned PE.
import { readFileSync, writeFileSync } from 'node:fs';

interface Layout {
  readonly checksumAt: number;
  readonly securityAt: number;
}

function layout(b: Buffer, file: string): Layout {
  if (b.readUInt16LE(0) !== 0x5a4d) throw new Error(`${file}: not a PE file (no MZ header)`);
  const pe = b.readUInt32LE(0x3c);
  if (b.readUInt32LE(pe) !== 0x4550) throw new Error(`${file}: not a PE file (no PE signature at ${pe})`);
  const opt = pe + 24;
  const magic = b.readUInt16LE(opt);
  if (magic !== 0x20b && magic !== 0x10b) throw new Error(`${file}: unknown optional header magic 0x${magic.toString(16)}`);
  // Data directory 4 (security) follows the fixed part of the optional header: 112 bytes in PE32+, 96 in PE32.
  return { checksumAt: opt + 64, securityAt: opt + (magic === 0x20b ? 112 : 96) + 4 * 8 };
}

export function removePeSignature(file: string): void {
  const b = readFileSync(file);
  const { securityAt } = layout(b, file);
  const offset = b.readUInt32LE(securityAt);
  const size = b.readUInt32LE(securityAt + 4);
  if (offset === 0 && size === 0) return;
  if (offset + size !== b.length) throw new Error(`${file}: the certificate table [${offset}, ${offset + size}) is not last in the file (${b.length} bytes): refusing to cut it`);
  b.writeUInt32LE(0, securityAt);
  b.writeUInt32LE(0, securityAt + 4);
  writeFileSync(file, b.subarray(0, offset));
}

/** The PE checksum (the ImageHlp CheckSumMappedFile algorithm), written into the optional header. */
export function fixPeChecksum(file: string): void {
  const b = readFileSync(file);
  const { checksumAt } = layout(b, file);
  b.writeUInt32LE(0, checksumAt);
  let sum = 0;
  for (let i = 0; i < b.length; i += 2) {
    sum += i + 1 < b.length ? b.readUInt16LE(i) : (b[i] ?? 0);
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  sum = (sum & 0xffff) + (sum >>> 16);
  b.writeUInt32LE((sum + b.length) >>> 0, checksumAt);
  writeFileSync(file, b);
}
