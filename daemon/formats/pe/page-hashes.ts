// Authenticode page hashes (VERIFY-NOTES A11): a table of {u32 file offset, digest} per 4 KiB page — the headers
// page (without CheckSum and the certificate-table entry, zero-filled to a page), then every page of every
// section's raw data (the last one zero-filled), then a terminating entry at the end of the section data whose
// digest is all zeros. Windows checks pages as they are loaded; we recompute the table and compare.
import { createHash } from 'node:crypto';
import { type PeHeaders } from './headers.ts';

export const PAGE_SIZE = 4096;

export function computePageHashTable(bytes: Uint8Array, headers: PeHeaders, digest: 'sha1' | 'sha256'): Buffer {
  const size = digest === 'sha1' ? 20 : 32;
  const entries: Buffer[] = [];
  const entry = (offset: number, hash: Buffer): void => {
    const e = Buffer.alloc(4 + size);
    e.writeUInt32LE(offset >>> 0, 0);
    hash.copy(e, 4);
    entries.push(e);
  };
  const clamp = (n: number): number => Math.max(0, Math.min(n, bytes.length));
  const zeros = new Uint8Array(PAGE_SIZE);
  const hdr = Math.min(headers.sizeOfHeaders, bytes.length);
  const ck = headers.checksumOffset;
  const dd = headers.certDirectoryOffset ?? ck + 4;
  const h0 = createHash(digest);
  h0.update(bytes.subarray(0, clamp(ck)));
  h0.update(bytes.subarray(clamp(ck + 4), clamp(dd)));
  if (headers.certDirectoryOffset !== undefined) h0.update(bytes.subarray(clamp(dd + 8), clamp(hdr)));
  if (hdr < PAGE_SIZE) h0.update(zeros.subarray(0, PAGE_SIZE - hdr));
  entry(0, h0.digest());
  let last = hdr;
  for (const s of headers.sections) {
    if (s.sizeOfRawData === 0) continue;
    for (let l = 0; l < s.sizeOfRawData; l += PAGE_SIZE) {
      const start = s.pointerToRawData + l;
      const n = Math.min(PAGE_SIZE, s.sizeOfRawData - l);
      const h = createHash(digest);
      h.update(bytes.subarray(clamp(start), clamp(start + n)));
      if (n < PAGE_SIZE) h.update(zeros.subarray(0, PAGE_SIZE - n));
      entry(start, h.digest());
    }
    last = s.pointerToRawData + s.sizeOfRawData;
  }
  entry(last, Buffer.alloc(size));
  return Buffer.concat(entries);
}
