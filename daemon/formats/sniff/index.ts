// Decides what a file is by its first bytes, never by its name (a Mach-O named .rtf is still a module).
export type ModuleFormat = 'pe' | 'macho' | 'elf' | 'catalog' | 'p7x' | 'unknown';

const u32be = (b: Uint8Array, at: number): number => (((b[at] ?? 0) << 24) | ((b[at + 1] ?? 0) << 16) | ((b[at + 2] ?? 0) << 8) | (b[at + 3] ?? 0)) >>> 0;

/** dyld's bound on a universal header's entries: header and entries fit in the first 4 KiB page (FatFile::forEachSlice). */
export const MAX_FAT_ARCHS = { 0xcafebabe: 204, 0xcafebabf: 127 } as const;
/** Java class files (java 1.1 on) have a major version of 45 or more where a universal header has its count. */
const FIRST_JAVA_VERSION = 45;
/** CPU types of Mach-O (mach/machine.h): x86, x86_64, arm, arm64, arm64_32, ppc, ppc64. */
const MACHO_CPUS = new Set([7, 0x01000007, 12, 0x0100000c, 0x0200000c, 18, 0x01000012]);

/** How much of a file's start the sniffer wants: a universal header with all its entries fits in dyld's first page. */
export const SNIFF_BYTES = 4096;

/**
 * Every declared entry of a universal header looks like dyld would take it — its offset past the header and aligned
 * to its 2^align (align ≤ 15, as lipo writes) — and at least one names a Mach-O CPU. Entries past `b` (a short read)
 * cannot be judged and fail.
 */
function entriesPlausible(b: Uint8Array, count: number): boolean {
  const headerEnd = 8 + 20 * count;
  if (headerEnd > b.length) return false;
  let machoCpu = false;
  for (let e = 8; e < headerEnd; e += 20) {
    const offset = u32be(b, e + 8);
    const align = u32be(b, e + 16);
    if (align > 15 || offset < headerEnd || offset % 2 ** align !== 0) return false;
    machoCpu ||= MACHO_CPUS.has(u32be(b, e));
  }
  return machoCpu;
}

/**
 * A universal Mach-O header (0xCAFEBABE / 0xCAFEBABF and an entry count dyld accepts), told apart from a Java class
 * file, which shares 0xCAFEBABE: a count under 45 is never a class version; from 45 on (a count a class version can
 * be) the entries must look like a universal header's — a class file's constant pool never does. The attacker
 * chooses every entry, so all of them are looked at, not the first. A count of zero is a universal file too: dyld
 * still looks for one more entry after the declared ones. `b`: the file's first bytes (SNIFF_BYTES for a verdict on
 * large counts).
 */
export function isUniversalHeader(b: Uint8Array): boolean {
  if (b.length < 8) return false;
  const magic = u32be(b, 0);
  const count = u32be(b, 4);
  if (magic === 0xcafebabf) return count <= MAX_FAT_ARCHS[0xcafebabf];
  if (magic !== 0xcafebabe || count > MAX_FAT_ARCHS[0xcafebabe]) return false;
  return count < FIRST_JAVA_VERSION || entriesPlausible(b, count);
}

export function sniffFormat(head: Uint8Array): ModuleFormat {
  const b = head;
  if (b.length >= 2 && b[0] === 0x4d && b[1] === 0x5a) return 'pe';
  if (b.length >= 4) {
    const be = ((b[0] ?? 0) << 24) | ((b[1] ?? 0) << 16) | ((b[2] ?? 0) << 8) | (b[3] ?? 0);
    const magic = be >>> 0;
    if (magic === 0xfeedface || magic === 0xfeedfacf || magic === 0xcefaedfe || magic === 0xcffaedfe) return 'macho';
    if (isUniversalHeader(b)) return 'macho';
    if (magic === 0x7f454c46) return 'elf';
    if (magic === 0x504b4358) return 'p7x'; // "PKCX" + PKCS #7 (MSIX/AppX signature)
  }
  // A DER SEQUENCE starting with the signedData OID and a CTL content type is a catalog; checked by the caller
  // with the full bytes (catalogs are identified by content, not by the .cat extension).
  return 'unknown';
}

/** SignedData whose content type is szOID_CTL, judged from the encoding's first bytes. */
export function looksLikeCatalog(bytes: Uint8Array): boolean {
  if (bytes[0] !== 0x30) return false;
  const window = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 128));
  const signedDataOid = Buffer.from([0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02]);
  const ctlOid = Buffer.from([0x06, 0x09, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x0a, 0x01]);
  return window.includes(signedDataOid) && window.includes(ctlOid);
}
