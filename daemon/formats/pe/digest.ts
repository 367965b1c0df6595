// Which bytes the Authenticode image digest ("authentihash") covers (VERIFY-NOTES A2). Two procedures exist and real
// files need both:
// - the straight pass (signtool, signify, osslsigncode): the whole file skipping the CheckSum field, the
//   certificate-table directory entry and the certificate table itself. Needed where SizeOfHeaders overlaps the first
//   section (UPX-style packers), where the section procedure hashes bytes twice.
// - the PE/COFF spec's procedure (Authenticode_PE.docx "Calculating the PE Image Hash"; EDK2
//   DxeImageVerificationLib HashPeImage and shim generate_hash use it for UEFI images): the headers up to
//   SizeOfHeaders, then each section's raw data sorted by PointerToRawData, then the file from SUM_OF_BYTES_HASHED
//   (a count used as an offset) up to FILE_SIZE minus the certificate table's size. It differs only where the
//   sections leave gaps; Debian's Secure Boot signer signs fwupdaa64.efi that way.
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

/**
 * The PE/COFF spec's section-by-section plan, or undefined when the sections tile the file from SizeOfHeaders on
 * without gaps or overlaps (there it hashes the same bytes as the straight pass). Only for signed files: the spec
 * procedure has no zero padding. Ranges are in hashing order, which is not always file order (the final range can
 * start inside the last section, exactly as EDK2 and shim hash it).
 */
export function sectionAuthentihashPlan(headers: PeHeaders, table: CertificateTable | undefined, fileLength: number): AuthentihashPlan | undefined {
  if (!table || !table.usable) return undefined;
  const soh = Math.min(headers.sizeOfHeaders, fileLength);
  const sections = headers.sections.filter((s) => s.sizeOfRawData > 0).sort((a, b) => a.pointerToRawData - b.pointerToRawData);
  let contiguous = true;
  let at = soh;
  for (const s of sections) {
    if (s.pointerToRawData !== at) contiguous = false;
    at = s.pointerToRawData + s.sizeOfRawData;
  }
  if (contiguous) return undefined;
  const ranges: ByteRange[] = [];
  const ck = headers.checksumOffset;
  const cut = (start: number, end: number): void => {
    const e = Math.min(end, fileLength);
    if (e > start) ranges.push({ start, end: e });
  };
  const dd = headers.certDirectoryOffset;
  if (dd === undefined || dd < ck) {
    cut(0, Math.min(ck, soh));
    cut(ck + 4, soh);
  } else {
    cut(0, Math.min(ck, soh));
    cut(ck + 4, Math.min(dd, soh));
    cut(dd + 8, soh);
  }
  let sum = soh;
  for (const s of sections) {
    cut(s.pointerToRawData, s.pointerToRawData + s.sizeOfRawData);
    sum += s.sizeOfRawData;
  }
  // EDK2: if FILE_SIZE > SUM_OF_BYTES_HASHED, hash FILE_SIZE − (CertificateTable.Size + SUM) bytes from offset SUM.
  const tail = fileLength - table.size;
  if (tail > sum) cut(sum, tail);
  return { ranges, zeroPadding: 0 };
}

/**
 * Bytes before the certificate table that no range of `plan` covers, apart from the CheckSum field and the
 * certificate-table directory entry: under the section procedure, the gaps between sections. Each range is returned
 * with how many of its bytes are non-zero.
 */
export function uncoveredRanges(bytes: Uint8Array, headers: PeHeaders, plan: AuthentihashPlan, end: number): Array<ByteRange & { readonly nonZero: number }> {
  const excluded: ByteRange[] = [{ start: headers.checksumOffset, end: headers.checksumOffset + 4 }];
  if (headers.certDirectoryOffset !== undefined) excluded.push({ start: headers.certDirectoryOffset, end: headers.certDirectoryOffset + 8 });
  const covered = [...plan.ranges, ...excluded].sort((a, b) => a.start - b.start);
  const holes: ByteRange[] = [];
  let at = 0;
  for (const r of covered) {
    if (r.start > at) holes.push({ start: at, end: Math.min(r.start, end) });
    at = Math.max(at, r.end);
    if (at >= end) break;
  }
  if (at < end) holes.push({ start: at, end });
  return holes
    .filter((h) => h.end > h.start)
    .map((h) => {
      let nonZero = 0;
      for (let i = h.start; i < Math.min(h.end, bytes.length); i++) if (bytes[i] !== 0) nonZero++;
      return { ...h, nonZero };
    });
}

/** Feeds the planned ranges (and padding) of `bytes` to `update`, in the plan's order. */
export function forEachPlannedChunk(bytes: Uint8Array, plan: AuthentihashPlan, update: (chunk: Uint8Array) => void): void {
  for (const r of plan.ranges) {
    const end = Math.min(r.end, bytes.length);
    if (end > r.start) update(bytes.subarray(r.start, end));
  }
  if (plan.zeroPadding > 0) update(new Uint8Array(plan.zeroPadding));
}
