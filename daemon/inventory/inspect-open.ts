// An open file in, a ModuleRecord out, whatever its size. Up to the in-memory bound the bytes are read once and
// inspected in full (inspect-file.ts). Above it nothing is held whole: the whole-file SHA-256/SHA-1/MD5, and for PE
// files the Authenticode image digest (authentihash, by the planned ranges of formats/pe/digest.ts) and the PE
// checksum, are computed by streaming; headers are parsed from the first megabyte. The signature itself is not
// verified then, and the record says so (NOT_VERIFIED_TOO_LARGE) rather than refusing the file.
import { type FileHandle } from 'node:fs/promises';
import { type CertificateTable } from '../formats/pe/certificates.ts';
import { computePeChecksum } from '../formats/pe/checksum.ts';
import { authentihashPlan, type AuthentihashPlan } from '../formats/pe/digest.ts';
import { DataDirectory, dataDirectory, parsePeHeaders, peKind, type PeHeaders } from '../formats/pe/headers.ts';
import { SNIFF_BYTES, sniffFormat } from '../formats/sniff/index.ts';
import { errorMessage } from '../shared/errors.ts';
import { type ModuleRecord } from '../shared/model.ts';
import { problem } from '../verify/problems.ts';
import { readAll, readAt } from './confined.ts';
import { digestStream, type DigestChoice } from './hash.ts';
import { digestChoice, inspectBytes, type BundleContext, type FileFacts, type InspectContext } from './inspect-file.ts';
import { problemRecord } from './records.ts';
import { fileBlock, UNSIGNED } from './data-record.ts';

/** Bytes read from the start of a large file to parse its headers. */
const HEAD_BYTES = 1 << 20;

export async function inspectOpenFile(facts: FileFacts, handle: FileHandle, size: number, ctx: InspectContext, maxBytes: number, bundle?: BundleContext): Promise<ModuleRecord> {
  if (size <= maxBytes) {
    const bytes = await readAll(handle, size, maxBytes, facts.path);
    return inspectBytes({ ...facts, size: bytes.length }, bytes, ctx, bundle);
  }
  return inspectLarge(facts, handle, size, maxBytes, digestChoice(ctx));
}

interface PeHead {
  readonly headers: PeHeaders;
  readonly table: CertificateTable | undefined;
}

/** Headers and the certificate table's place, from the first bytes only (the table itself is not read). */
function peHead(head: Uint8Array, size: number): PeHead {
  const headers = parsePeHeaders(head);
  const dd = headers.certDirectoryOffset;
  if (dd === undefined || dd + 8 > head.length) return { headers, table: undefined };
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const offset = view.getUint32(dd, true);
  const length = view.getUint32(dd + 4, true);
  if (offset === 0 && length === 0) return { headers, table: undefined };
  const usable = offset >= headers.sizeOfHeaders && offset >= dd + 8 && offset + length <= size;
  return { headers, table: { offset, size: length, usable, entries: [], anomalies: [], bytesAfterTable: usable ? size - (offset + length) : 0 } };
}

async function inspectLarge(facts: FileFacts, handle: FileHandle, size: number, maxBytes: number, choice: DigestChoice): Promise<ModuleRecord> {
  const head = await readAt(handle, 0, Math.min(size, HEAD_BYTES));
  const format = sniffFormat(head.subarray(0, SNIFF_BYTES));
  let pe: PeHead | undefined;
  const issues: string[] = [];
  if (format === 'pe') {
    try {
      pe = peHead(head, size);
    } catch (err) {
      issues.push(`headers: ${errorMessage(err)}`);
    }
  }
  const plan: AuthentihashPlan | undefined = pe ? authentihashPlan(pe.headers, pe.table, size) : undefined;
  // The PE checksum is a one's-complement sum: chunk sums (chunks start at even offsets) add up to the file's.
  let checksumSum = 0;
  const onChunk = pe
    ? (chunk: Uint8Array, start: number): void => {
        const off = pe.headers.checksumOffset - start;
        const at = off >= 0 && off + 4 <= chunk.length ? off : chunk.length + 8;
        checksumSum += computePeChecksum(chunk, at) - chunk.length;
        while (checksumSum > 0xffff) checksumSum = (checksumSum % 0x10000) + Math.floor(checksumSum / 0x10000);
      }
    : undefined;
  const digests = await digestStream(handle, size, plan, onChunk, choice);
  const hex = (b: Uint8Array | undefined): string => (b ? Buffer.from(b).toString('hex') : '');
  const signed = pe?.table !== undefined;
  const why = `${size} bytes is over the ${maxBytes}-byte bound for verification in memory: hashed by streaming, signature not verified`;
  const notVerified = problem('NOT_VERIFIED_TOO_LARGE', `${facts.path}: ${why}`);
  return {
    file: fileBlock({ ...facts, size: digests.bytesRead }, digests),
    module: {
      format,
      arch: pe ? [pe.headers.arch] : [],
      kind: pe ? peKind(pe.headers) : undefined,
      ...(pe ? { bits: pe.headers.magic === 0x20b ? 64 : 32 } : {}),
      version: { file: undefined, product: undefined },
      parse_issues: [...issues, `larger than ${maxBytes} bytes: hashed by streaming; version resource, imports and signature not read`],
    },
    ...(pe
      ? {
          pe: {
            dotnet: dataDirectory(pe.headers, DataDirectory.clr) !== undefined,
            authentihash: { ...(digests.image?.sha1 ? { sha1: hex(digests.image.sha1) } : {}), sha256: hex(digests.image?.sha256) },
            checksum: { stored: pe.headers.checksum, computed: (checksumSum + digests.bytesRead) >>> 0 },
            certificate_table_size: pe.table?.size ?? 0,
            overlay_bytes: 0,
            imports: [],
          },
        }
      : {}),
    code_signature: {
      // Present but not verified: neither valid nor invalid. NOT_VERIFIED_TOO_LARGE says which.
      ...UNSIGNED,
      ...(signed || format === 'macho' ? { exists: true, status: 'untrusted' as const, source: 'embedded' as const } : {}),
      problems: [problemRecord(notVerified)],
    },
  };
}
