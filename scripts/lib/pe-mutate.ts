// Byte-level edits of real signed PEs, for negative cases made from a good fixture inside the test.
import { parsePeHeaders } from '../../daemon/formats/pe/headers.ts';

function certDirectory(bytes: Buffer): { dd: number; offset: number; size: number } {
  const h = parsePeHeaders(bytes);
  if (h.certDirectoryOffset === undefined) throw new Error('no certificate directory');
  const dd = h.certDirectoryOffset;
  return { dd, offset: bytes.readUInt32LE(dd), size: bytes.readUInt32LE(dd + 4) };
}

/** CVE-2013-3900 as in 3CX's d3dcompiler_47.dll: grow the first WIN_CERTIFICATE and hide `payload` after the PKCS#7. */
export function hidePayloadInCertificateEntry(signed: Buffer, payload: Buffer): Buffer {
  const { dd, offset, size } = certDirectory(signed);
  const dwLength = signed.readUInt32LE(offset);
  const entry = signed.subarray(offset, offset + dwLength);
  const grown = Buffer.concat([entry, payload]);
  grown.writeUInt32LE(grown.length, 0);
  const padded = Buffer.concat([grown, Buffer.alloc((8 - (grown.length % 8)) % 8)]);
  const rest = signed.subarray(offset + Math.ceil(dwLength / 8) * 8, offset + size); // any further entries
  const table = Buffer.concat([padded, rest]);
  const out = Buffer.concat([signed.subarray(0, offset), table]);
  out.writeUInt32LE(table.length, dd + 4);
  return out;
}

/** The file without its certificate table (osslsigncode remove-signature refuses a table of several entries). */
export function withoutCertificateTable(signed: Buffer): Buffer {
  const { dd, offset, size } = certDirectory(signed);
  const out = Buffer.concat([signed.subarray(0, offset), signed.subarray(offset + size)]);
  out.writeUInt32LE(0, dd);
  out.writeUInt32LE(0, dd + 4);
  return out;
}

/** A further WIN_CERTIFICATE entry (PKCS#7, revision 2.0) holding `pkcs7`, added after the table's last entry. */
export function appendCertificateEntry(signed: Buffer, pkcs7: Buffer): Buffer {
  const { dd, offset, size } = certDirectory(signed);
  const header = Buffer.alloc(8);
  header.writeUInt32LE(8 + pkcs7.length, 0);
  header.writeUInt16LE(0x0200, 4);
  header.writeUInt16LE(0x0002, 6);
  const entry = Buffer.concat([header, pkcs7, Buffer.alloc((8 - ((8 + pkcs7.length) % 8)) % 8)]);
  const out = Buffer.concat([signed.subarray(0, offset + size), entry, signed.subarray(offset + size)]);
  out.writeUInt32LE(size + entry.length, dd + 4);
  return out;
}

/** Bytes appended after the certificate table without touching the directory (overlay after the signature). */
export function appendAfterTable(signed: Buffer, extra: Buffer): Buffer {
  return Buffer.concat([signed, extra]);
}

/** Flips one bit of the byte at `offset` (e.g. inside .text). */
export function flipByte(bytes: Buffer, offset: number): Buffer {
  const out = Buffer.from(bytes);
  out[offset] = (out[offset] ?? 0) ^ 0x01;
  return out;
}

/** File offset of the first byte of the named section's raw data. */
export function sectionOffset(bytes: Buffer, name: string): number {
  const s = parsePeHeaders(bytes).sections.find((x) => x.name === name);
  if (!s) throw new Error(`no section ${name}`);
  return s.pointerToRawData;
}
