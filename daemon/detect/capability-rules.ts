// What a changed module can now do that it could not before: imports of process / network / permission / memory
// APIs — by name, by ordinal (resolved in diff/summary.ts: ws2_32 #4 is connect), or as names a module that calls
// GetProcAddress/dlsym carries in its strings — and new constructors.
import { type ModuleChange } from '../diff/diff.ts';
import { type ModuleSummary } from '../diff/summary.ts';
import { CAPABILITY_APIS } from '../shared/capabilities.ts';
import { type Finding } from '../shared/findings.ts';
import { finding } from './finding.ts';

const symbolName = (i: string): string => i.replace(/^.*!/, '').replace(/^_/, '');

/** How a gained import reads in a message: `connect`, or `connect (by name at run time)`. */
const describe = (i: string): string => (i.startsWith('dynamic!') ? `${symbolName(i)} (by name at run time)` : symbolName(i));

/** New constructors or capability imports in a module that was here before (`b`). */
export function capabilityRules(c: ModuleChange, a: ModuleSummary, b: ModuleSummary): Finding[] {
  // A name reached at run time that the old module imported outright (or the reverse) is no new capability.
  const had = new Set([...b.imports].map(symbolName));
  const gained = c.importsAdded.filter((i) => CAPABILITY_APIS.has(symbolName(i)) && !had.has(symbolName(i)));
  // Code that runs on load is a capability a module gains once: a napi-rs module registers each exported function
  // with a constructor of its own (steamworks.js 0.3.2 → 0.4.0: 95 → 101), so more of them says nothing new.
  const moreConstructors = b.constructors === 0 && a.constructors > 0;
  if (!gained.length && !moreConstructors) return [];
  const parts = [...(moreConstructors ? [`constructors ${b.constructors} → ${a.constructors}`] : []), ...(gained.length ? [`new imports ${gained.map(describe).join(', ')}`] : [])];
  return [finding('NEW_CAPABILITIES', c, `${c.path}: ${parts.join('; ')}`, { imports_added: gained, constructors: [b.constructors, a.constructors] })];
}

/** Signing long after the build: a signing key used on an old binary (the rollback case is rollback-rules.ts). */
export function timestampRules(c: ModuleChange, a: ModuleSummary, _before?: ModuleSummary): Finding[] {
  if (a.signedAt && a.compiledAt && Date.parse(a.signedAt) - Date.parse(a.compiledAt) > 400 * 86_400_000) {
    return [finding('TIMESTAMP_ANOMALY', c, `${c.path}: signed ${a.signedAt.slice(0, 10)}, more than 400 days after it was built (${a.compiledAt.slice(0, 10)})`)];
  }
  return [];
}
