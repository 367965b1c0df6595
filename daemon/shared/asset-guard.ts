// Windows: the directory a single executable unpacks its assets into (trust roots, policies, schemas) is read by the
// daemon as SYSTEM, so when sealwatch runs elevated it must be admin-only, as the POSIX side checks owner and mode.
// Without LOCALAPPDATA it lies under ProgramData, whose default ACL lets Users create folders: a folder sealwatch makes
// there is locked to SYSTEM and Administrators (by SID, inheritance cut) before anything is written into it, and the
// directory read is checked with the admin-only check of shared/permissions.ts (the folder, every folder up to the
// volume root, and everything below it).
import { execFileSync } from 'node:child_process';
import { treeWritableByNonAdmin, writableByNonAdmin, type AclReader, type TreeAclReader } from './permissions.ts';
import { system32 } from './system-tool.ts';

/** Mandatory integrity labels of an elevated token (High) and of SYSTEM's (System); whoami lists them by SID. */
const ELEVATED_LABELS = ['S-1-16-12288', 'S-1-16-16384'];

/**
 * Whether `whoami /groups /fo csv /nh` output is an elevated token's. Only the quoted SID column is read: group names
 * are in the system's language and code page, SIDs are ASCII in every one.
 */
export function elevatedFromWhoami(text: string): boolean {
  return ELEVATED_LABELS.some((sid) => text.includes(`"${sid}"`));
}

let elevated: boolean | undefined;

/** Whether this process runs elevated on Windows (asked once; whoami.exe from System32). */
export function windowsElevated(): boolean {
  elevated ??= elevatedFromWhoami(execFileSync(system32('whoami.exe'), ['/groups', '/fo', 'csv', '/nh'], { encoding: 'latin1', windowsHide: true, timeout: 30_000, stdio: ['ignore', 'pipe', 'ignore'] }));
  return elevated;
}

/** The icacls arguments that leave `dir` to SYSTEM and Administrators alone (inheritance cut, by SID). */
export function lockDownArgs(dir: string): string[] {
  return [dir, '/inheritance:r', '/grant:r', '*S-1-5-18:(OI)(CI)F', '*S-1-5-32-544:(OI)(CI)F', '/q'];
}

/** Makes a directory sealwatch just created admin-only. */
export function lockDown(dir: string): void {
  execFileSync(system32('icacls.exe'), lockDownArgs(dir), { windowsHide: true, timeout: 30_000, stdio: ['ignore', 'ignore', 'pipe'] });
}

export interface AssetGuardOptions {
  readonly platform?: NodeJS.Platform;
  readonly elevated?: () => boolean;
  readonly readAcl?: AclReader;
  readonly readTree?: TreeAclReader;
}

/** Why the asset directory `dir` (`tree`: with everything in it) must not be used, or undefined. Only an elevated
 * process on Windows is judged here (the POSIX owner and mode checks live in assets.ts). */
export function assetDirRefusal(dir: string, tree: boolean, o: AssetGuardOptions = {}): string | undefined {
  if ((o.platform ?? process.platform) !== 'win32' || !(o.elevated ?? windowsElevated)()) return undefined;
  return tree ? treeWritableByNonAdmin(dir, 'win32', o.readAcl, o.readTree) : writableByNonAdmin(dir, 'win32', o.readAcl);
}
