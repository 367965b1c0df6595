// Functions a Mach-O can call without importing them: dlsym(handle, "connect") takes the name as a C string in
// __TEXT,__cstring. Only slices that import dlsym are searched, and only their C-string sections.
import { capabilityStrings, MACHO_RUNTIME_NAMES, RUNTIME_RESOLVERS } from '../../shared/capabilities.ts';
import { type MachoLoadInfo } from './load-commands.ts';

/** Capability API names present as C strings in a slice that imports dlsym (else []). `slice`: the slice's bytes. */
export function machoDynamicImports(slice: Uint8Array, load: MachoLoadInfo): string[] {
  if (!load.imports.some((i) => RUNTIME_RESOLVERS.has(i))) return [];
  const imported = new Set(load.imports.map((i) => i.replace(/^_/, '')));
  const found = new Set<string>();
  for (const seg of load.segments) {
    for (const s of seg.sections) {
      if (s.sectname !== '__cstring') continue;
      const start = Math.min(s.offset, slice.length);
      for (const name of capabilityStrings(slice.subarray(start, Math.min(start + s.size, slice.length)), MACHO_RUNTIME_NAMES)) found.add(name);
    }
  }
  return [...found].filter((n) => !imported.has(n)).sort();
}
