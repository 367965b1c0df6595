// Functions a PE can call without importing them: GetProcAddress(h, "connect") takes the name as a C string, which
// sits in an initialised-data section (.rdata, .data). Only modules that import a run-time resolver are searched, and
// only their non-executable data sections, so the cost stays proportional to what can matter.
import { capabilityStrings, PE_RUNTIME_NAMES, RUNTIME_RESOLVERS } from '../../shared/capabilities.ts';
import { type PeFile } from './index.ts';

const IMAGE_SCN_CNT_INITIALIZED_DATA = 0x40;
const IMAGE_SCN_MEM_EXECUTE = 0x20000000;

/** Capability API names present as C strings in a module that imports GetProcAddress (else []). */
export function peDynamicImports(bytes: Uint8Array, pe: PeFile): string[] {
  const resolves = pe.imports.some((i) => i.functions.some((f) => RUNTIME_RESOLVERS.has(f)));
  if (!resolves) return [];
  const imported = new Set(pe.imports.flatMap((i) => i.functions));
  const found = new Set<string>();
  for (const s of pe.headers.sections) {
    if ((s.characteristics & IMAGE_SCN_CNT_INITIALIZED_DATA) === 0 || (s.characteristics & IMAGE_SCN_MEM_EXECUTE) !== 0) continue;
    const start = Math.min(s.pointerToRawData, bytes.length);
    for (const name of capabilityStrings(bytes.subarray(start, Math.min(start + s.sizeOfRawData, bytes.length)), PE_RUNTIME_NAMES)) found.add(name);
  }
  // A name the module also imports adds nothing: keep the ones only reachable by name.
  return [...found].filter((n) => !imported.has(n)).sort();
}
