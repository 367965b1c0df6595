// sealwatch runs as root and does what its config and policies say: a file or directory that a non-admin user can
// write would let that user switch sealwatch off or silence its alerts. POSIX: refused when group- or world-writable
// (a world-writable directory with the sticky bit, like /tmp, only when it is the file itself), or owned by anyone
// other than root or the user sealwatch runs as; the file's directory is checked too (whoever can write it can
// replace the file). Windows: not checked yet (ACLs need icacls parsing; the policy registry key is admin-only by
// design) — docs/fleet.md says so.
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { errorMessage, SealwatchError } from '../shared/errors.ts';

/** Why `path` is writable by a non-admin, or undefined when it is not. */
export function writableByNonAdmin(path: string, platform: NodeJS.Platform = process.platform): string | undefined {
  if (platform === 'win32') return undefined;
  const self = process.getuid?.() ?? 0;
  for (const p of [path, dirname(path)]) {
    let st;
    try {
      st = statSync(p);
    } catch (err) {
      if (p === path) return undefined; // the loader says why it cannot be read
      return `${p}: cannot be checked: ${errorMessage(err)}`;
    }
    const what = p === path ? (st.isDirectory() ? 'the directory' : 'the file') : 'its directory';
    const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
    if (st.uid !== 0 && st.uid !== self) return `${what} ${p} is owned by uid ${st.uid}, not root (chown root ${p})`;
    if (st.mode & 0o002 && !(p !== path && st.mode & 0o1000)) return `${what} ${p} is world-writable (mode ${mode}; chmod o-w ${p})`;
    if (st.mode & 0o020 && st.gid !== 0) return `${what} ${p} is writable by group ${st.gid} (mode ${mode}; chmod g-w ${p})`;
  }
  return undefined;
}

/** Throws a CONFIG error naming `what` and the reason. */
export function requireAdminOnly(path: string, what: string): void {
  const why = writableByNonAdmin(path);
  if (why) throw new SealwatchError('CONFIG', `${what} ${path}: refused: non-admin users can change it: ${why}`, { file: path });
}
