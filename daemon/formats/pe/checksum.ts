// The PE image checksum (IMAGEHLP CheckSumMappedFile): 16-bit one's-complement-style sum of the file with the
// CheckSum field taken as zero, plus the file length. Reported beside the stored value; never enforced (VERIFY-NOTES A12).
export function computePeChecksum(bytes: Uint8Array, checksumOffset: number): number {
  let sum = 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const words = bytes.length >>> 1;
  for (let i = 0; i < words; i++) {
    const off = i * 2;
    if (off === checksumOffset || off === checksumOffset + 2) continue;
    sum += view.getUint16(off, true);
    if (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  }
  if (bytes.length & 1) {
    sum += bytes[bytes.length - 1] ?? 0;
    if (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  }
  sum = (sum & 0xffff) + (sum >>> 16);
  return (sum + bytes.length) >>> 0;
}
