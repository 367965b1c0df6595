// A parsed PE module: headers, certificate table, version resource, imports, overlay and checksum.
// Optional parts that fail to parse do not fail the file: their reason lands in `issues`.
import { errorMessage } from '../../shared/errors.ts';
import { parseCertificateTable, type CertificateTable } from './certificates.ts';
import { computePeChecksum } from './checksum.ts';
import { DataDirectory, dataDirectory, endOfSectionData, parsePeHeaders, peKind, type PeHeaders, type PeKind } from './headers.ts';
import { parseImports, type PeImport } from './imports.ts';
import { parseVersionInfo, type PeVersionInfo } from './version.ts';

export interface PeFile {
  readonly headers: PeHeaders;
  readonly kind: PeKind;
  readonly arch: string;
  readonly bits: 32 | 64;
  readonly isDotNet: boolean;
  readonly certificateTable: CertificateTable | undefined;
  readonly version: PeVersionInfo | undefined;
  readonly imports: readonly PeImport[];
  /** Bytes after the section data that are not the certificate table. */
  readonly overlayBytes: number;
  readonly checksum: { readonly stored: number; readonly computed: number };
  /** Parts of the file that could not be read (the rest of the record stands). */
  readonly issues: readonly string[];
}

export function parsePe(bytes: Uint8Array): PeFile {
  const headers = parsePeHeaders(bytes);
  const issues: string[] = [];
  const attempt = <T>(what: string, fn: () => T, fallback: T): T => {
    try {
      return fn();
    } catch (err) {
      issues.push(`${what}: ${errorMessage(err)}`);
      return fallback;
    }
  };
  const certificateTable = attempt('certificate table', () => parseCertificateTable(bytes, headers), undefined);
  const version = attempt('version resource', () => parseVersionInfo(bytes, headers), undefined);
  const imports = attempt('imports', () => parseImports(bytes, headers), []);
  const sectionEnd = Math.min(endOfSectionData(headers), bytes.length);
  const tableBytes = certificateTable?.usable && certificateTable.offset >= sectionEnd ? certificateTable.size : 0;
  return {
    headers,
    kind: peKind(headers),
    arch: headers.arch,
    bits: headers.magic === 0x20b ? 64 : 32,
    isDotNet: dataDirectory(headers, DataDirectory.clr) !== undefined,
    certificateTable,
    version,
    imports,
    overlayBytes: Math.max(0, bytes.length - sectionEnd - tableBytes),
    checksum: { stored: headers.checksum, computed: computePeChecksum(bytes, headers.checksumOffset) },
    issues,
  };
}

export { isPe } from './headers.ts';
