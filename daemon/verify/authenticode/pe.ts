// File-level Authenticode verdict for a PE: every WIN_CERTIFICATE entry, every nested signature, and the layout
// anomalies that hide unauthenticated data (CVE-2013-3900 padding, data after the table, stuffed attributes).
import { createHash } from 'node:crypto';
import { type DigestName, parseContentInfoSignedData } from '../../formats/cms/index.ts';
import { authentihashPlan, forEachPlannedChunk, sectionAuthentihashPlan, uncoveredRanges, type AuthentihashPlan } from '../../formats/pe/digest.ts';
import { WIN_CERT_TYPE_PKCS_SIGNED_DATA } from '../../formats/pe/certificates.ts';
import { type PeFile } from '../../formats/pe/index.ts';
import { computePageHashTable } from '../../formats/pe/page-hashes.ts';
import { isAllZero } from '../../formats/bytes/reader.ts';
import { type ChainContext } from '../chain/build.ts';
import { caughtProblem, problem, type Problem } from '../problems.ts';
import { unvouchedBesideTrusted } from './nested.ts';
import { failed, verifyAuthenticodeSignedData, type AuthenticodeSignature } from './signature.ts';

export interface PeSignatureReport {
  /** The file has a certificate table with at least one entry. */
  readonly embedded: boolean;
  readonly signatures: readonly AuthenticodeSignature[];
  /** Problems about the file and its certificate table rather than one signature. */
  readonly problems: readonly Problem[];
  /**
   * Authentihash (image digest) as signtool/catalogs compute it; unsigned files padded to 8. SHA-1 only when a
   * signature used it or the caller asked for it (`recordImageSha1`).
   */
  readonly authentihash: { readonly sha1?: string; readonly sha256: string };
  readonly plan: AuthentihashPlan;
}

export interface PeVerifyContext extends ChainContext {
  readonly now: Date;
  /** Precomputed image digests (e.g. from the one-pass hasher), by algorithm. */
  readonly knownImageDigests?: Partial<Record<DigestName, Uint8Array>>;
  /** Report the SHA-1 authentihash even when no signature needs it (catalog lookups, IoC digests). */
  readonly recordImageSha1?: boolean;
}

export function imageDigester(bytes: Uint8Array, plan: AuthentihashPlan, known: Partial<Record<DigestName, Uint8Array>> = {}): (name: DigestName) => Uint8Array {
  const cache = new Map<DigestName, Uint8Array>(Object.entries(known) as [DigestName, Uint8Array][]);
  return (name) => {
    let d = cache.get(name);
    if (!d) {
      const h = createHash(name);
      forEachPlannedChunk(bytes, plan, (chunk) => h.update(chunk));
      d = h.digest();
      cache.set(name, d);
    }
    return d;
  };
}

/** Tolerated unvouched bytes of all of a file's signatures together (per signature: verify/cms-unvouched.ts). */
const FILE_UNVOUCHED_BYTES = 96 * 1024;

export function verifyPeSignatures(bytes: Uint8Array, pe: PeFile, ctx: PeVerifyContext): PeSignatureReport {
  const table = pe.certificateTable;
  const plan = authentihashPlan(pe.headers, table, bytes.length);
  const digester = imageDigester(bytes, plan, ctx.knownImageDigests);
  const used = new Set<DigestName>();
  const imageDigest = (name: DigestName): Uint8Array => {
    used.add(name);
    return digester(name);
  };
  const problems: Problem[] = [];
  const signatures: AuthenticodeSignature[] = [];
  if (pe.checksum.stored !== 0 && pe.checksum.stored !== pe.checksum.computed) {
    problems.push(problem('CHECKSUM_MISMATCH', `PE checksum is 0x${pe.checksum.stored.toString(16)}, computed 0x${pe.checksum.computed.toString(16)}`));
  }
  for (const a of table?.anomalies ?? []) problems.push(problem(a.code, a.message));

  // Windows reads one PKCS#7 entry (signtool nests further signatures inside it); only UEFI images carry several
  // (shim: one per CA). Any other extra entry is data no signature covers.
  const pkcs7 = (table?.usable ? table.entries : []).filter((e) => e.type === WIN_CERT_TYPE_PKCS_SIGNED_DATA);
  if (pkcs7.length > 1 && pe.kind !== 'efi') {
    for (const extra of pkcs7.slice(1)) {
      const duplicate = pkcs7.some((e) => e.index < extra.index && Buffer.compare(e.content, extra.content) === 0);
      problems.push(
        problem(
          'CERT_TABLE_EXTRA_ENTRY',
          `WIN_CERTIFICATE #${extra.index}${duplicate ? ' duplicates an earlier entry' : ' is a second PKCS#7 entry'}; Windows verifies only one, so it is not covered by any signature`,
        ),
      );
    }
  }
  const tables = new Map<string, Uint8Array>();
  const pageHashTable = (digest: 'sha1' | 'sha256'): Uint8Array => {
    let t = tables.get(digest);
    if (!t) tables.set(digest, (t = computePageHashTable(bytes, pe.headers, digest)));
    return t;
  };
  // The PE/COFF spec's section-by-section digest, computed only when a signature needs it and the layout has gaps.
  const sectionPlan = sectionAuthentihashPlan(pe.headers, table, bytes.length);
  const sectionImageDigest = sectionPlan ? imageDigester(bytes, sectionPlan) : undefined;
  const sigCtx = { ...ctx, imageDigest, pageHashTable, ...(sectionImageDigest ? { sectionImageDigest } : {}) };
  let index = 0;
  for (const entry of table?.usable ? table.entries : []) {
    const label = String(index++);
    if (entry.type !== WIN_CERT_TYPE_PKCS_SIGNED_DATA) continue;
    let parsed;
    try {
      parsed = parseContentInfoSignedData(entry.content);
    } catch (err) {
      signatures.push(failed(label, caughtProblem(err, 'SIGNATURE_MALFORMED', `WIN_CERTIFICATE #${entry.index}`, label)));
      continue;
    }
    // CVE-2013-3900: bytes after the PKCS#7 DER inside dwLength. Legitimate signers leave at most 7 zero bytes.
    const after = entry.content.subarray(parsed.encodedLength);
    if (after.length >= 8 || !isAllZero(after)) {
      problems.push(
        problem(
          'UNAUTHENTICATED_DATA_IN_CERT_ENTRY',
          `WIN_CERTIFICATE #${entry.index}: ${after.length} bytes after the PKCS#7 signature are not covered by it${hasMarker(after) ? ' (starts with FE ED FA CE, as in the 3CX d3dcompiler_47.dll payload)' : ''}`,
        ),
      );
    }
    try {
      signatures.push(...verifyAuthenticodeSignedData(parsed.signedData, label, sigCtx));
    } catch (err) {
      // A structure that parsed but could not be walked (hostile nesting, odd attribute types).
      signatures.push(failed(label, caughtProblem(err, 'SIGNATURE_MALFORMED', `WIN_CERTIFICATE #${entry.index}`, label)));
    }
  }
  const entrySizes = new Map((table?.usable ? table.entries : []).map((e, i) => [String(i), e.content.length]));
  problems.push(...unvouchedBesideTrusted(signatures, pe.kind === 'efi', entrySizes));
  // Each signature's tolerated room is bounded on its own; copies of signatures (nested, or a UEFI image's further
  // entries) would multiply it, so the whole file has a bound too.
  const room = signatures.reduce((sum, sig) => sum + sig.unvouchedBytes, 0);
  if (room > FILE_UNVOUCHED_BYTES) {
    problems.push(problem('OVERSIZED_UNSIGNED_ATTRIBUTE', `the file's ${signatures.length} signature(s) carry ${room} bytes nothing vouches for (unsigned attributes, CRLs, certificates beside the chains; genuine files: under 32 KiB)`));
  }
  // Under the section procedure, bytes between sections are covered by no signature: room for a payload.
  if (sectionPlan && table?.usable && signatures.some((s) => s.digestMethod === 'sections')) {
    for (const gap of uncoveredRanges(bytes, pe.headers, sectionPlan, table.offset)) {
      if (gap.nonZero === 0) continue;
      problems.push(
        problem(
          'SECTION_GAP_DATA',
          `bytes [0x${gap.start.toString(16)}, 0x${gap.end.toString(16)}) lie between sections: ${gap.nonZero} of ${gap.end - gap.start} are non-zero and the section-by-section image digest does not cover them`,
        ),
      );
    }
  }
  return {
    // A table cut off at the end of the file holds no signature to verify: the file is unsigned (with a warning);
    // one that overlaps the headers makes verification impossible: invalid.
    embedded: (table?.entries.length ?? 0) > 0 || (table !== undefined && !table.usable && !table.anomalies.every((a) => a.code === 'CERT_TABLE_PAST_EOF')),
    signatures,
    problems,
    authentihash: {
      ...(used.has('sha1') || ctx.recordImageSha1 === true ? { sha1: Buffer.from(digester('sha1')).toString('hex') } : {}),
      sha256: Buffer.from(digester('sha256')).toString('hex'),
    },
    plan,
  };
}

function hasMarker(bytes: Uint8Array): boolean {
  for (let i = 0; i + 4 <= Math.min(bytes.length, 64); i++) {
    if (bytes[i] === 0xfe && bytes[i + 1] === 0xed && bytes[i + 2] === 0xfa && bytes[i + 3] === 0xce) return true;
  }
  return false;
}
