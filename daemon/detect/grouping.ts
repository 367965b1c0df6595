// Sets of new modules that are one event, not one finding per file: a package that ships binaries for the first
// time, or a new folder of modules the app already ships for another architecture (a real release adding
// `linux/x64/` beside `windows/x64/`). Only inside a version change: new modules without one are judged each on its
// own. A member signed by a publisher the app has not used, or mirroring nothing the app ships, is not grouped.
import { moduleStem, type ModuleChange } from '../diff/diff.ts';
import { type ModuleSummary } from '../diff/summary.ts';
import { type Finding } from '../shared/findings.ts';
import { ruleSeverity } from './rule-table.ts';
import { type DetectInput } from './input.ts';

export interface ModuleGroup {
  readonly finding: Finding;
  readonly members: ReadonlySet<string>;
}

const hasIdentity = (s: string): boolean => s.startsWith('org:') || s.startsWith('team:');
const dirOf = (p: string): string => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');
const LIST_LIMIT = 200;

function group(kind: 'first-binaries' | 'new-architecture', members: readonly ModuleChange[], message: string, extra: Record<string, unknown>, variant?: string): ModuleGroup {
  const paths = members.map((c) => c.path);
  const finding: Finding = {
    rule: 'NEW_MODULE_GROUP',
    severity: ruleSeverity('NEW_MODULE_GROUP', variant),
    path: undefined,
    message,
    evidence: {
      group: kind,
      count: paths.length,
      modules: members.slice(0, LIST_LIMIT).map((c) => ({ path: c.path, sha256: c.after?.sha256, signer: c.after?.signer || '(unsigned)', status: c.after?.status })),
      ...extra,
    },
    explained: false,
  };
  return { finding, members: new Set(paths) };
}

/** A new module in a directory the app did not have, mirroring a module the app ships, signed as that one was. */
function mirrors(a: ModuleSummary, input: DetectInput): boolean {
  const prior = input.prior;
  if (!prior || prior.directories.has(dirOf(a.path))) return false;
  const signers = prior.moduleNames.get(moduleStem(a.path));
  if (!signers) return false;
  // A build of the same module says so in its version resource; another program under the module's name (a genuine
  // signed conpty.dll copied in as msalruntime.dll) mirrors nothing and is judged on its own.
  if (a.originalName && moduleStem(a.originalName) !== moduleStem(a.path)) return false;
  if (a.signed && hasIdentity(a.signer)) return signers.has(a.signer) && input.knownSigners.has(a.signer);
  if (a.signed && !nameless(a)) return false;
  // Code that names no one (unsigned, ad-hoc, linker-signed: an arm64 Mach-O is always at least linker-signed)
  // mirrors code that named no one either. ELF has no signature format: a Linux build of a module the app signs
  // elsewhere cannot be signed like it.
  return [...signers].some((s) => !hasIdentity(s) && !s.startsWith('untrusted:')) || a.format === 'elf';
}

/** Unsigned, or signed ad-hoc / by the linker: no publisher vouches for it. */
const nameless = (a: ModuleSummary | undefined): boolean => !a?.signed || a.status === 'adhoc' || a.status === 'linker-signed';

export function groupNewModules(input: DetectInput, updating: boolean): ModuleGroup[] {
  const added = input.changes.filter((c) => c.kind === 'added' && c.after?.isCode && c.after.state === 'file' && c.after.format !== 'bundle');
  if (!updating || input.baseline || !input.prior || added.length === 0) return [];
  const span = `${input.fromVersion ?? '?'} → ${input.toVersion ?? '?'}`;
  if (input.prior.modules === 0) {
    const unsigned = added.filter((c) => !c.after?.signed).length;
    // Ad-hoc and linker-signed code names no publisher: only identities are listed as signers.
    const signers = [...new Set(added.map((c) => c.after?.signer ?? '').filter(hasIdentity))];
    const message = `the update ${span} ships binaries for the first time: ${added.length} new module(s) (${unsigned} unsigned${signers.length ? `; signers ${signers.join(', ')}` : ''}) — review them as one set`;
    return [group('first-binaries', added, message, { signers, unsigned })];
  }
  const members = added.filter((c) => mirrors(c.after as ModuleSummary, input));
  if (members.length < 2) return [];
  const folders = [...new Set(members.map((c) => dirOf(c.path)))].sort();
  const unsigned = members.filter((c) => nameless(c.after)).length;
  const message = `the update ${span} adds ${folders.length} folder(s) of modules the app already ships for other architectures (${folders.slice(0, 6).join(', ')}${folders.length > 6 ? ', …' : ''}): ${members.length} module(s), ${unsigned} unsigned (or ad-hoc / linker-signed) like the modules they mirror`;
  return [group('new-architecture', members, message, { folders, unsigned }, unsigned === 0 ? 'new-architecture' : undefined)];
}
