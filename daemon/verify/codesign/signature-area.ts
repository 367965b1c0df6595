// Bytes in a slice's code-signature area that no signature covers: the Mach-O counterpart of CVE-2013-3900.
// The LC_CODE_SIGNATURE area holds a SuperBlob; only some of its bytes are authenticated — the CodeDirectories (by
// the cdhashes the CMS signs), blobs a CodeDirectory binds by a special-slot hash, and the CMS itself. Everything else
// (slack after the SuperBlob, gaps between blobs, bytes after the CMS's DER, a blob of a type nothing binds, a second
// blob for a slot already filled) can carry a payload while the signature stays "valid".
// Slot numbers from Apple's xnu osfmk/kern/cs_blobs.h (CSSLOT_*): 1–11 special slots (Info.plist … launch and library
// constraints), 0x1000–0x1004 alternate CodeDirectories, 0x10000 the CMS signature.
// Real signers leave the slack zero-filled (codesign reserves room for the CMS; ld's linker signature pads to 16) —
// except one benign residue: codesign re-signing an arm64 slice that ld had linker-signed leaves the tail of the old
// CodeDirectory's hash array after the new SuperBlob (found in Bun, DuckDB, SAP HANA client and Claude Code arm64
// slices of the generalisation corpus: ~9 KB of SHA-256 hashes of the slice's own 4 KiB pages). Slack made only of
// hashes of this slice's pages carries nothing an attacker chose; anything else is reported.
import { createHash } from 'node:crypto';
import { isAllZero } from '../../formats/bytes/reader.ts';
import { CSSLOT, specialSlotHash, type CodeDirectory, type EmbeddedSignature } from '../../formats/macho/code-signature.ts';
import { problem, type Problem } from '../problems.ts';

const MAX_SPECIAL_SLOT = 11;

const isCodeDirectorySlot = (t: number): boolean => t === CSSLOT.codeDirectory || (t >= CSSLOT.alternateCodeDirectories && t < CSSLOT.alternateCodeDirectoryLimit);

/** A blob is accounted for when it is a CodeDirectory, the CMS, or a special-slot blob some CodeDirectory binds. */
function bound(type: number, cds: readonly CodeDirectory[]): boolean {
  if (isCodeDirectorySlot(type) || type === CSSLOT.signature) return true;
  if (type < 1 || type > MAX_SPECIAL_SLOT) return false;
  return cds.some((cd) => {
    const h = specialSlotHash(cd, type);
    return h !== undefined && !isAllZero(h);
  });
}

/** Full 32-byte chunks that need not be page hashes (the edges of the stale array: a page changed by re-signing). */
const STALE_MISMATCH_ALLOWANCE = 2;

/**
 * True when `slack` is a run of SHA-256 hashes of the slice's own pages (4 KiB or 16 KiB, up to `codeLimit`) at some
 * alignment, apart from a partial hash at each end and at most STALE_MISMATCH_ALLOWANCE others.
 */
function isStalePageHashes(slack: Uint8Array, slice: Uint8Array, codeLimit: number): boolean {
  const trimmed = slack.subarray(0, slack.length - (slack.length - slack.findLastIndex((b) => b !== 0) - 1));
  if (trimmed.length < 64) return false;
  for (const page of [4096, 16384]) {
    const hashes = new Set<string>();
    for (let o = 0; o < codeLimit; o += page) hashes.add(createHash('sha256').update(slice.subarray(o, Math.min(o + page, codeLimit))).digest().toString('latin1'));
    for (let align = 0; align < 32; align++) {
      let misses = 0;
      for (let o = align; o + 32 <= trimmed.length && misses <= STALE_MISMATCH_ALLOWANCE; o += 32) {
        if (!hashes.has(Buffer.from(trimmed.buffer, trimmed.byteOffset + o, 32).toString('latin1'))) misses++;
      }
      if (misses <= STALE_MISMATCH_ALLOWANCE && trimmed.length - align >= 32 * (STALE_MISMATCH_ALLOWANCE + 1)) return true;
    }
  }
  return false;
}

const describe = (bytes: Uint8Array): string => {
  const first = bytes.findIndex((b) => b !== 0);
  const head = Buffer.from(bytes.subarray(first, first + 8)).toString('hex').toUpperCase().replace(/(..)(?=.)/g, '$1 ');
  return `${bytes.length} bytes (first non-zero at +${first}: ${head})`;
};

/**
 * Problems for the unauthenticated parts of the slice's LC_CODE_SIGNATURE region [dataoff, +datasize). `cmsTrailing`:
 * the bytes after the CMS's DER inside its blob wrapper, when there is a CMS.
 */
export function signatureAreaProblems(slice: Uint8Array, dataoff: number, datasize: number, sig: EmbeddedSignature, label: string, cmsTrailing?: Uint8Array): Problem[] {
  const out: Problem[] = [];
  const area = slice.subarray(dataoff, dataoff + datasize);
  const superLength = Math.min(area.length, Buffer.from(area.buffer, area.byteOffset, area.length).readUInt32BE(4));
  const slack = area.subarray(superLength);
  if (!isAllZero(slack) && !isStalePageHashes(slack, slice, dataoff)) out.push(problem('CODESIGN_SLACK_DATA', `${describe(slack)} after the SuperBlob, inside the signature area but outside every blob`, label));
  // Gaps between blobs and after the last one, inside the SuperBlob's own length.
  const ordered = [...sig.blobs].sort((a, b) => a.offset - b.offset);
  let cursor = 12 + sig.blobs.length * 8;
  for (const b of ordered) {
    if (b.offset > cursor && !isAllZero(area.subarray(cursor, b.offset))) {
      out.push(problem('CODESIGN_SLACK_DATA', `${describe(area.subarray(cursor, b.offset))} between the SuperBlob's blobs (before offset ${b.offset})`, label));
    }
    cursor = Math.max(cursor, b.offset + b.bytes.length);
  }
  if (cursor < superLength && !isAllZero(area.subarray(cursor, superLength))) {
    out.push(problem('CODESIGN_SLACK_DATA', `${describe(area.subarray(cursor, superLength))} after the last blob, inside the SuperBlob`, label));
  }
  if (cmsTrailing && !isAllZero(cmsTrailing)) out.push(problem('CODESIGN_SLACK_DATA', `${describe(cmsTrailing)} after the CMS signature, inside its blob`, label));
  // Blobs nothing authenticates: an unknown type, or a second blob for a slot already filled (verifiers read the first).
  const seen = new Set<number>();
  for (const b of sig.blobs) {
    const hex = `0x${b.type.toString(16)}`;
    if (seen.has(b.type)) out.push(problem('CODESIGN_UNKNOWN_BLOB', `a second blob for slot ${hex} (${b.bytes.length} bytes): only the first is checked`, label));
    else if (!bound(b.type, sig.codeDirectories)) out.push(problem('CODESIGN_UNKNOWN_BLOB', `blob of type ${hex} (${b.bytes.length} bytes, magic 0x${b.magic.toString(16)}) is bound by no CodeDirectory`, label));
    seen.add(b.type);
  }
  return out;
}
