// Which bytes the Authenticode image digest ("authentihash") covers: one straight pass over the file skipping the
// CheckSum field, the certificate-table directory entry and the certificate table itself (VERIFY-NOTES A2; the
// section-sorted procedure of Authenticode_PE.docx gives wrong answers on real files such as UPX-packed ones).
import { type CertificateTable } from './certificates.ts';
import { type PeHeaders } from './headers.ts';

export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

export interface AuthentihashPlan {
  readonly ranges: readonly ByteRange[];
  /** Zero bytes appended after the ranges (unsigned files are padded to a multiple of 8). */
  readonly zeroPadding: number;
}

export function authentihashPlan(headers: PeHeaders, table: CertificateTable | undefined, fileLength: number): AuthentihashPlan {
  const ranges: ByteRange[] = [];
  const ck = headers.checksumOffset;
  ranges.push({ start: 0, end: ck });
  if (headers.certDirectoryOffset === undefined) {
    ranges.push({ start: ck + 4, end: fileLength });
    return { ranges, zeroPadding: padTo8(fileLength) };
  }
  const dd = headers.certDirectoryOffset;
  ranges.push({ start: ck + 4, end: dd });
  if (table && table.usable) {
    ranges.push({ start: dd + 8, end: table.offset });
    // Data after a table that is not last is hashed too (Authenticode PE spec, final step; signtool does this, as
    // uthenticode-YourPhone.exe shows). Windows still rejects such files: that is reported as its own problem.
    const tableEnd = table.offset + table.size;
    if (tableEnd < fileLength) ranges.push({ start: tableEnd, end: fileLength });
    return { ranges, zeroPadding: 0 };
  }
  ranges.push({ start: dd + 8, end: fileLength });
  return { ranges, zeroPadding: padTo8(fileLength) };
}

/** An unsigned file's digest is padded with zeros as if the file were a multiple of 8 long (as signtool pads it
 * before signing); catalog members are looked up by this padded digest. */
function padTo8(fileLength: number): number {
  return (8 - (fileLength % 8)) % 8;
}

/** Feeds the planned ranges (and padding) of `bytes` to `update`, in file order. */
export function forEachPlannedChunk(bytes: Uint8Array, plan: AuthentihashPlan, update: (chunk: Uint8Array) => void): void {
  for (const r of plan.ranges) {
    const end = Math.min(r.end, bytes.length);
    if (end > r.start) update(bytes.subarray(r.start, end));
  }
  if (plan.zeroPadding > 0) update(new Uint8Array(plan.zeroPadding));
}
