// sealwatch runs as root and does what its config and policies say: a file or directory that a non-admin user can
// write would let that user switch sealwatch off or silence its alerts. POSIX: refused when group- or world-writable
// (a world-writable directory with the sticky bit, like /tmp, only when it is the file itself), or owned by anyone
// other than root or the user sealwatch runs as; every directory above it is checked too, and the file a link leads
// to with its directories (whoever can write one can replace the file). Windows: the DACLs (windows-acl.ts, by SID)
// of the path, of its directory and of every directory up to the volume root, and of the path a link leads to with
// its directories: an allow entry with a writing right for anyone but SYSTEM, Administrators or TrustedInstaller
// refuses the path (further up, only rights that remove, rename or re-permission what is there).
import { existsSync, realpathSync, statSync } from 'node:fs';
import { dirname, win32 } from 'node:path';
import { errorMessage, SealwatchError } from '../shared/errors.ts';
import { nonAdminWriters, parseDacl, readSddl, type Scope } from './windows-acl.ts';

/** A path's SDDL, or undefined when there is nothing at the path. */
export type AclReader = (path: string) => string | undefined;

const readAclIfThere: AclReader = (p) => (existsSync(p) ? readSddl(p) : undefined);

/** `path` with the links in it resolved, or `path` itself when it cannot be (missing: the loader says so). */
function realOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** `p` and every directory above it, up to / (or the volume root). */
const withAncestors = (p: string, up: (x: string) => string = dirname): string[] => (up(p) === p ? [p] : [p, ...withAncestors(up(p), up)]);

/** Why `path` is writable by a non-admin, or undefined when it is not. */
export function writableByNonAdmin(path: string, platform: NodeJS.Platform = process.platform, readAcl: AclReader = readAclIfThere): string | undefined {
  if (platform === 'win32') return windowsWriters(path, readAcl);
  const self = process.getuid?.() ?? 0;
  // root's group; on macOS also `admin` (gid 80), which owns /Applications and parts of /Library: its members are admins.
  const adminGroups = new Set(platform === 'darwin' ? [0, 80] : [0]);
  const real = realOr(path);
  // Whoever can write any directory on the way — to the path as given or to the file a link leads to — can rename
  // the way to the file and put another in its place.
  for (const p of new Set([...withAncestors(path), ...withAncestors(real)])) {
    const isTarget = p === path || p === real;
    let st;
    try {
      st = statSync(p);
    } catch (err) {
      // Missing (the loader says so, or sealwatch makes it later): the directories above that exist still count.
      if (isTarget || (err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      return `${p}: cannot be checked: ${errorMessage(err)}`;
    }
    const what = isTarget ? (st.isDirectory() ? 'the directory' : 'the file') : 'its directory';
    const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
    if (st.uid !== 0 && st.uid !== self) return `${what} ${p} is owned by uid ${st.uid}, not root (chown root ${p})`;
    if (st.mode & 0o002 && !(!isTarget && st.mode & 0o1000)) return `${what} ${p} is world-writable (mode ${mode}; chmod o-w ${p})`;
    if (st.mode & 0o020 && !adminGroups.has(st.gid)) return `${what} ${p} is writable by group ${st.gid} (mode ${mode}; chmod g-w ${p})`;
  }
  return undefined;
}

function windowsWriters(path: string, readAcl: AclReader): string | undefined {
  const real = realOr(path);
  for (const target of new Set([path, real])) {
    // The object and the first directory above it that exists (where a missing path would be made) are judged for
    // every writing right; directories further up for the rights that replace what they hold.
    let strict = true;
    for (const p of withAncestors(target, win32.dirname)) {
      let sddl: string | undefined;
      try {
        sddl = readAcl(p);
      } catch (err) {
        if (p === target) continue; // the loader says why it cannot be read; the directories above still count
        return `${p}: its ACL cannot be read: ${errorMessage(err)}`;
      }
      if (sddl === undefined) continue;
      const scope: Scope = strict ? 'object' : 'ancestor';
      if (p !== target) strict = false;
      let why: string | undefined;
      try {
        why = nonAdminWriters(parseDacl(sddl), scope);
      } catch (err) {
        return `${p}: its ACL cannot be read: ${errorMessage(err)}`;
      }
      if (why) return `${p === target ? 'its ACL' : 'the ACL of its directory'} ${p} lets non-admins write: ${why}`;
    }
  }
  return undefined;
}

/** Throws a CONFIG error naming `what` and the reason. */
export function requireAdminOnly(path: string, what: string): void {
  const why = writableByNonAdmin(path);
  if (why) throw new SealwatchError('CONFIG', `${what} ${path}: refused: non-admin users can change it: ${why}`, { file: path });
}
