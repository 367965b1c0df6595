// The debug directory (Microsoft PE Format spec, "The .debug Section": IMAGE_DEBUG_DIRECTORY, 28 bytes an entry).
// One fact is read from it: whether the image was linked reproducibly (an IMAGE_DEBUG_TYPE_REPRO entry, `/Brepro`),
// in which case the COFF TimeDateStamp is a hash of the content, not a build time (Microsoft's VC runtime DLLs).
import { DataDirectory, dataDirectory, rvaToOffset, type PeHeaders } from './headers.ts';

const ENTRY_SIZE = 28;
const IMAGE_DEBUG_TYPE_REPRO = 16;
const MAX_ENTRIES = 64; // real images carry a handful; a larger directory is not read further

export function isReproducible(bytes: Uint8Array, headers: PeHeaders): boolean {
  const dir = dataDirectory(headers, DataDirectory.debug);
  const at = dir && rvaToOffset(headers, dir.rva);
  if (!dir || at === undefined) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = Math.min(Math.floor(dir.size / ENTRY_SIZE), MAX_ENTRIES);
  for (let i = 0; i < count; i++) {
    const typeAt = at + i * ENTRY_SIZE + 12;
    if (typeAt + 4 > bytes.byteLength) return false;
    if (view.getUint32(typeAt, true) === IMAGE_DEBUG_TYPE_REPRO) return true;
  }
  return false;
}
