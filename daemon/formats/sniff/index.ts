// Decides what a file is by its first bytes, never by its name (a Mach-O named .rtf is still a module).
export type ModuleFormat = 'pe' | 'macho' | 'elf' | 'catalog' | 'p7x' | 'unknown';

const MAX_FAT_ARCHS = 20; // Java class files share 0xCAFEBABE; their "count" is a class-file version (≥ 45)

export function sniffFormat(head: Uint8Array): ModuleFormat {
  const b = head;
  if (b.length >= 2 && b[0] === 0x4d && b[1] === 0x5a) return 'pe';
  if (b.length >= 4) {
    const be = ((b[0] ?? 0) << 24) | ((b[1] ?? 0) << 16) | ((b[2] ?? 0) << 8) | (b[3] ?? 0);
    const magic = be >>> 0;
    if (magic === 0xfeedface || magic === 0xfeedfacf || magic === 0xcefaedfe || magic === 0xcffaedfe) return 'macho';
    if ((magic === 0xcafebabe || magic === 0xcafebabf) && b.length >= 8) {
      const count = (((b[4] ?? 0) << 24) | ((b[5] ?? 0) << 16) | ((b[6] ?? 0) << 8) | (b[7] ?? 0)) >>> 0;
      if (count > 0 && count <= MAX_FAT_ARCHS) return 'macho';
    }
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
