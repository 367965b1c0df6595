// The attribute certificate table (PE Format spec, "The Attribute Certificate Table (Image Only)").
// Lists every WIN_CERTIFICATE entry and notes, without failing, everything about the table's layout
// that is not as the spec writes it: these are where data hides inside or after a signature.
import { ByteReader, isAllZero, roundUp } from '../bytes/reader.ts';
import { type PeHeaders } from './headers.ts';

export const WIN_CERT_REVISION_2_0 = 0x0200;
export const WIN_CERT_TYPE_PKCS_SIGNED_DATA = 0x0002;
const MAX_ENTRIES = 64;

export interface WinCertificate {
  readonly index: number;
  /** File offset of the 8-byte WIN_CERTIFICATE header. */
  readonly offset: number;
  /** dwLength: header plus bCertificate, without the padding to 8. */
  readonly length: number;
  readonly revision: number;
  readonly type: number;
  /** bCertificate: the bytes after the header up to dwLength. */
  readonly content: Uint8Array;
  /** Bytes between dwLength and the next 8-byte boundary; the spec wants them zero. */
  readonly alignmentPadding: Uint8Array;
}

export type CertTableAnomalyCode =
  | 'CERT_TABLE_INSIDE_HEADERS'
  | 'CERT_TABLE_PAST_EOF'
  | 'CERT_TABLE_NOT_AT_END'
  | 'CERT_TABLE_SIZE_MISMATCH'
  | 'CERT_ENTRY_MALFORMED'
  | 'CERT_ENTRY_PADDING_NONZERO'
  | 'CERT_ENTRY_UNSUPPORTED';

export interface CertTableAnomaly {
  readonly code: CertTableAnomalyCode;
  readonly message: string;
  /** Bytes involved (e.g. how many bytes follow the table). */
  readonly bytes?: number;
}

export interface CertificateTable {
  /** Where the data directory says the table is. */
  readonly offset: number;
  readonly size: number;
  /** False when the table cannot be used at all (inside the headers, past end of file). */
  readonly usable: boolean;
  readonly entries: readonly WinCertificate[];
  readonly anomalies: readonly CertTableAnomaly[];
  /** Bytes of the file after the end of the table (Windows ignores a signature whose table is not last). */
  readonly bytesAfterTable: number;
}

/** Reads the certificate table the headers point at; undefined when the file has none. */
export function parseCertificateTable(bytes: Uint8Array, headers: PeHeaders): CertificateTable | undefined {
  if (headers.certDirectoryOffset === undefined) return undefined;
  const r = new ByteReader(bytes, 'PE certificate table');
  const offset = r.u32le(headers.certDirectoryOffset);
  const size = r.u32le(headers.certDirectoryOffset + 4);
  if (offset === 0 && size === 0) return undefined;
  const anomalies: CertTableAnomaly[] = [];
  if (offset < headers.sizeOfHeaders || offset < headers.certDirectoryOffset + 8) {
    anomalies.push({ code: 'CERT_TABLE_INSIDE_HEADERS', message: `certificate table at ${offset} starts inside the headers` });
    return { offset, size, usable: false, entries: [], anomalies, bytesAfterTable: 0 };
  }
  if (offset + size > bytes.length) {
    anomalies.push({
      code: 'CERT_TABLE_PAST_EOF',
      message: `certificate table [${offset}, ${offset + size}) runs past the end of the file (${bytes.length} bytes)`,
    });
    return { offset, size, usable: false, entries: [], anomalies, bytesAfterTable: 0 };
  }
  const bytesAfterTable = bytes.length - (offset + size);
  if (bytesAfterTable > 0) {
    anomalies.push({
      code: 'CERT_TABLE_NOT_AT_END',
      message: `${bytesAfterTable} bytes follow the certificate table; Windows ignores a signature that is not at the end of the file`,
      bytes: bytesAfterTable,
    });
  }
  const entries: WinCertificate[] = [];
  let at = offset;
  const end = offset + size;
  while (at < end) {
    if (entries.length >= MAX_ENTRIES) {
      anomalies.push({ code: 'CERT_ENTRY_MALFORMED', message: `more than ${MAX_ENTRIES} WIN_CERTIFICATE entries` });
      break;
    }
    if (at + 8 > end) {
      anomalies.push({
        code: 'CERT_TABLE_SIZE_MISMATCH',
        message: `${end - at} bytes at the end of the certificate table are too short for a WIN_CERTIFICATE header`,
        bytes: end - at,
      });
      break;
    }
    const length = r.u32le(at);
    const revision = r.u16le(at + 4);
    const type = r.u16le(at + 6);
    if (length < 8 || at + length > end) {
      anomalies.push({
        code: 'CERT_ENTRY_MALFORMED',
        message: `WIN_CERTIFICATE #${entries.length} at ${at} declares dwLength ${length}, outside the table [${offset}, ${end})`,
      });
      break;
    }
    const next = Math.min(at + roundUp(length, 8), end);
    const alignmentPadding = bytes.subarray(at + length, next);
    if (!isAllZero(alignmentPadding)) {
      anomalies.push({
        code: 'CERT_ENTRY_PADDING_NONZERO',
        message: `WIN_CERTIFICATE #${entries.length}: alignment padding after dwLength is not zero`,
        bytes: alignmentPadding.length,
      });
    }
    if (revision !== WIN_CERT_REVISION_2_0 || type !== WIN_CERT_TYPE_PKCS_SIGNED_DATA) {
      anomalies.push({
        code: 'CERT_ENTRY_UNSUPPORTED',
        message: `WIN_CERTIFICATE #${entries.length}: revision 0x${revision.toString(16)} type ${type} is not a PKCS#7 SignedData entry (0x0200/2)`,
      });
    }
    entries.push({ index: entries.length, offset: at, length, revision, type, content: bytes.subarray(at + 8, at + length), alignmentPadding });
    at = at + roundUp(length, 8);
  }
  // The spec rounds each entry to 8 bytes and the directory size is their sum; signtool pads the last entry too.
  const accounted = entries.reduce((sum, e) => sum + roundUp(e.length, 8), 0);
  // A last entry that ends exactly where the directory does, only its alignment padding left out, leaves no byte
  // outside an entry: nothing to report (what the size check is for is room no entry accounts for).
  const last = entries.at(-1);
  const unpaddedLast = last !== undefined && last.offset + last.length === end && accounted > size;
  if (entries.length > 0 && accounted !== size && !unpaddedLast && !anomalies.some((a) => a.code === 'CERT_TABLE_SIZE_MISMATCH')) {
    anomalies.push({
      code: 'CERT_TABLE_SIZE_MISMATCH',
      message: `entries account for ${accounted} bytes but the directory says ${size}`,
      bytes: Math.abs(size - accounted),
    });
  }
  return { offset, size, usable: true, entries, anomalies, bytesAfterTable };
}
