// Windows: who may write a file, from `icacls PATH` output (the check sealwatch can make without native code). An
// entry lets its principal change the object when it is an allow entry that applies to the object itself (not
// inherit-only) and grants a right that writes, deletes or re-permissions it. Administrators, SYSTEM and
// TrustedInstaller are the admins; every other principal with such a right makes the path unsafe. Principals are
// matched by their English names or well-known SIDs (a localised Windows prints localised names: those are reported
// as non-admin, so the check errs on the side of refusing).
import { execFileSync } from 'node:child_process';
import { system32 } from '../shared/system-tool.ts';

export interface AclEntry {
  readonly principal: string;
  readonly flags: readonly string[];
  readonly rights: readonly string[];
}

const ADMINS = new Set(['nt authority\\system', 'builtin\\administrators', 'nt service\\trustedinstaller', 's-1-5-18', 's-1-5-32-544', 's-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464']);
/** Simple and specific rights that change the content, the ACL or the owner, or delete the object. */
const WRITE_RIGHTS = new Set(['F', 'M', 'W', 'D', 'DC', 'WDAC', 'WO', 'GA', 'GW', 'WD', 'AD', 'MA']);
const INHERITANCE = new Set(['I', 'OI', 'CI', 'IO', 'NP']);

/** The entries of the first object in `icacls` output (lines after the path are indented to line up). */
export function parseIcacls(text: string, path: string): AclEntry[] {
  const lines = text.split(/\r?\n/);
  const first = lines.findIndex((l) => l.toLowerCase().startsWith(`${path.toLowerCase()} `));
  if (first < 0) return [];
  const entries: AclEntry[] = [];
  const aces = [lines[first]!.slice(path.length + 1).trim()];
  for (const l of lines.slice(first + 1)) {
    if (!/^\s+\S/.test(l)) break;
    aces.push(l.trim());
  }
  for (const ace of aces) {
    const m = /^(.+?):((?:\([^)]*\))+)$/.exec(ace);
    if (!m) continue;
    const groups = [...(m[2] as string).matchAll(/\(([^)]*)\)/g)].map((g) => g[1] as string);
    const flags = groups.filter((g) => INHERITANCE.has(g) || g === 'DENY');
    const rights = groups.filter((g) => !flags.includes(g)).flatMap((g) => g.split(','));
    entries.push({ principal: m[1] as string, flags, rights });
  }
  return entries;
}

/** Why non-admins can change the object, or undefined. */
export function nonAdminWriters(entries: readonly AclEntry[]): string | undefined {
  const writers = entries.filter((e) => !e.flags.includes('IO') && !e.flags.includes('DENY') && !ADMINS.has(e.principal.toLowerCase()) && e.rights.some((r) => WRITE_RIGHTS.has(r)));
  if (!writers.length) return undefined;
  return writers.map((e) => `${e.principal} has (${e.rights.join(',')})`).join('; ');
}

export function icacls(path: string): string {
  return execFileSync(system32('icacls.exe'), [path], { encoding: 'utf8', windowsHide: true, timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] });
}
