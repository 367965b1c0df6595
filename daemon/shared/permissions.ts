// sealwatch runs as root and does what its config and policies say: a file or directory that a non-admin user can
// write would let that user switch sealwatch off or silence its alerts. POSIX: refused when group- (macOS: but by
// root's or admin's group) or world-writable
// (a world-writable directory with the sticky bit, like /tmp, only when it is the file itself), or owned by anyone
// other than root or the user sealwatch runs as; every directory above it is checked too, and the file a link leads
// to with its directories (whoever can write one can replace the file). Windows: the DACLs (windows-acl.ts, by SID)
// of the path, of its directory and of every directory up to the volume root, and of the path a link leads to with
// its directories: an allow entry with a writing right for anyone but SYSTEM, Administrators or TrustedInstaller
// refuses the path (further up, only rights that remove, rename or re-permission what is there).
import { existsSync, lstatSync, readdirSync, realpathSync, type Stats, statSync } from 'node:fs';
import { dirname, join, win32 } from 'node:path';
import { errorMessage, SealwatchError } from './errors.ts';
import { icaclsSave, nonAdminWriters, parseDacl, readSddl, type Scope } from './windows-acl.ts';

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
    const why = posixWhy(p, st, isTarget, platform);
    if (why) return why;
  }
  return undefined;
}

/** Why one object (its owner and mode; nothing above it) lets a non-admin change it. */
function posixWhy(p: string, st: Stats, isTarget: boolean, platform: NodeJS.Platform): string | undefined {
  const self = process.getuid?.() ?? 0;
  // macOS: root's group and `admin` (gid 80), which owns /Applications and parts of /Library: its members are admins.
  // Linux: no group. A POSIX ACL's mask shows as the group bits, so group-write may mean a named user's write entry
  // (setfacl -m u:nobody:rw), which Node cannot read: group 0 writing is refused like any other.
  const adminGroups = new Set(platform === 'darwin' ? [0, 80] : []);
  const what = isTarget ? (st.isDirectory() ? 'the directory' : 'the file') : 'its directory';
  const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
  if (st.uid !== 0 && st.uid !== self) return `${what} ${p} is owned by uid ${st.uid}, not root (chown root ${p})`;
  // A sticky directory above (like /tmp, 1777): others can add entries but not replace this one.
  const sticky = !isTarget && (st.mode & 0o1000) !== 0;
  if (st.mode & 0o002 && !sticky) return `${what} ${p} is world-writable (mode ${mode}; chmod o-w ${p})`;
  if (st.mode & 0o020 && !sticky && !adminGroups.has(st.gid)) return `${what} ${p} is writable by group ${st.gid}${platform === 'darwin' ? '' : ' or, through a POSIX ACL (its mask), by named users'} (mode ${mode}; chmod g-w ${p})`;
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

/** A directory's tree as `icacls DIR /save FILE /t` gives it: every object's name and SDDL. */
export type TreeAclReader = (dir: string) => ReadonlyArray<{ readonly name: string; readonly sddl: string }>;

const readTreeIfThere: TreeAclReader = (d) => (existsSync(d) ? icaclsSave(d, true) : []);

/** More entries than a trust, catalog or policy directory holds: refused rather than walked for minutes. */
export const MAX_TREE_ENTRIES = 100_000;

/**
 * Why `dir` (with every directory above it) or anything below it lets a non-admin change it: a subfolder or file
 * someone else can write plants a root CA or a policy as surely as the directory itself. A link inside is judged
 * with the way to what it leads to.
 */
export function treeWritableByNonAdmin(dir: string, platform: NodeJS.Platform = process.platform, readAcl: AclReader = readAclIfThere, readTree: TreeAclReader = readTreeIfThere, hops = 0): string | undefined {
  if (hops > MAX_LINK_HOPS) return `${dir}: links to directories nest more than ${MAX_LINK_HOPS} deep`;
  const top = writableByNonAdmin(dir, platform, readAcl);
  if (top) return top;
  // `dir` may itself be a link to a folder: the loaders list through it, so the tree below its target is what counts
  // (the link and the way to the target were judged just above).
  const root = realOr(dir);
  if (platform === 'win32') {
    // One icacls run for the whole tree; its names are the tree's as icacls spells them.
    for (const { name, sddl } of readTree(root)) {
      let why: string | undefined;
      try {
        why = nonAdminWriters(parseDacl(sddl), 'object');
      } catch (err) {
        return `${name} (under ${dir}): its ACL cannot be read: ${errorMessage(err)}`;
      }
      if (why) return `the ACL of ${name} (under ${dir}) lets non-admins write: ${why}`;
    }
  }
  return walkTree(root, (p, st) => {
    if (!st.isSymbolicLink()) return platform === 'win32' ? undefined : posixWhy(p, st, true, platform);
    // The loaders follow links (a linked folder's files are read too): the way to its target and all below it count.
    return writableByNonAdmin(p, platform, readAcl) ?? (isDirectory(p) ? treeWritableByNonAdmin(realOr(p), platform, readAcl, readTree, hops + 1) : undefined);
  });
}

const MAX_LINK_HOPS = 8;

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Each entry below `dir` (not following links) to `judge`, until one has a reason; bounded by MAX_TREE_ENTRIES. */
function walkTree(dir: string, judge: (p: string, st: Stats) => string | undefined): string | undefined {
  const pending = [dir];
  let seen = 0;
  while (pending.length) {
    const d = pending.pop() as string;
    let names: string[];
    try {
      if (!lstatSync(d).isDirectory()) continue;
      names = readdirSync(d);
    } catch (err) {
      if (d === dir && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined; // the loader says so
      return `${d}: cannot be listed: ${errorMessage(err)}`;
    }
    for (const name of names) {
      if (++seen > MAX_TREE_ENTRIES) return `${dir} holds more than ${MAX_TREE_ENTRIES} entries`;
      const p = join(d, name);
      let st: Stats;
      try {
        st = lstatSync(p);
      } catch (err) {
        return `${p}: cannot be checked: ${errorMessage(err)}`;
      }
      const why = judge(p, st);
      if (why) return why;
      if (st.isDirectory()) pending.push(p);
    }
  }
  return undefined;
}

/** Throws a CONFIG error naming `what` and the reason when `dir` or anything in it is not admin-only. */
export function requireAdminOnlyTree(dir: string, what: string): void {
  const why = treeWritableByNonAdmin(dir);
  if (why) throw new SealwatchError('CONFIG', `${what} ${dir}: refused: non-admin users can change it or something in it: ${why}`, { file: dir });
}
