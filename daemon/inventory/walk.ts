// The walk of an app root: every entry once, by its raw name bytes, never leaving the root.
// On Linux each directory is listed through the descriptor it was opened with (O_NOFOLLOW, through
// /proc/self/fd/N/name, so no path is ever too long and no component can be a followed link); elsewhere it is listed
// by path, with device/inode and real path checked before and after. Directories on another file system or mount
// are not entered unless configured. Links, FIFOs, sockets and devices are reported, never dropped; a link to a
// regular file that stays inside the root is also walked as that file (the open goes to its real path, checked).
import { Buffer } from 'node:buffer';
import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, type Stats } from 'node:fs';
import { lstat, open, readdir, readlink, realpath } from 'node:fs/promises';
import { sep } from 'node:path';
import { errorMessage } from '../shared/errors.ts';
import { child, isBeneath, kindOf, mountIdOf, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK, PROC_FD, type Confinement } from './confined.ts';
import { bytesText } from './names.ts';
import { statKey } from './scan-protocol.ts';

const SEP = Buffer.from(sep);
/** Deeper than this is recorded, not entered: bounds open descriptors (one per level on Linux). */
export const MAX_DEPTH = 256;

export type SpecialKind = 'symlink' | 'fifo' | 'socket' | 'char-device' | 'block-device' | 'mount-point' | 'other';

/** Something at a path the walk does not read as a file: recorded with what it is. */
export interface SpecialEntry {
  /** Relative to the root, '/'-separated, in the lossless text form (names.ts). */
  readonly path: string;
  readonly kind: SpecialKind;
  /** Symbolic links: the link's target as stored in the link (text form). */
  readonly target?: string;
  /** Symbolic links: whether the target resolves to a place under the root (false for dangling or outside links). */
  readonly inside?: boolean;
  /** Symbolic links to a regular file inside the root: that file was inspected at this path (a `files` entry). */
  readonly inspected?: boolean;
  /** statKey of the entry itself (lstat: the link, the FIFO, the mount point directory). */
  readonly stat: string;
  /** Why it was not read, in words. */
  readonly reason: string;
}

export type WalkItem =
  | { readonly kind: 'directory'; readonly rel: string; readonly abs: Buffer; readonly entered: boolean }
  | { readonly kind: 'file'; readonly rel: string; readonly abs: Buffer; readonly stat: Stats; readonly viaLink: boolean }
  | { readonly kind: 'special'; readonly entry: SpecialEntry }
  | { readonly kind: 'unreadable'; readonly rel: string; readonly reason: string };

const errno = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | undefined)?.code;

function specialKind(st: Stats): SpecialKind {
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice()) return 'char-device';
  if (st.isBlockDevice()) return 'block-device';
  return 'other';
}

const byBytes = (a: Buffer, b: Buffer): number => Buffer.compare(a, b);

/** Where a child can be reached: through the parent's descriptor on Linux, by its full path elsewhere. */
interface Parent {
  readonly abs: Buffer;
  readonly rel: string;
  /** The directory's open descriptor (Linux): children are reached through /proc/self/fd/N. */
  readonly handle: { readonly fd: number } | undefined;
}

const access = (p: Parent, name: Buffer): Buffer => (p.handle ? Buffer.concat([Buffer.from(`/proc/self/fd/${p.handle.fd}/`), name]) : child(p.abs, name));

export interface WalkOptions {
  /** Walk a link to a regular file inside the root as that file too (default true; a bundle's seal wants links). */
  readonly followFileLinks?: boolean;
  /** Asked before entering a directory (not the root); false: the directory is yielded with `entered: false`. */
  readonly enter?: (rel: string, abs: Buffer) => boolean | Promise<boolean>;
}

export async function* walkConfined(c: Confinement, options: WalkOptions = {}): AsyncGenerator<WalkItem> {
  const root = Buffer.from(c.root);
  const st = await lstat(root);
  if (!st.isDirectory()) {
    const name = root.subarray(root.lastIndexOf(SEP) + 1);
    if (st.isFile()) yield { kind: 'file', rel: bytesText(name), abs: root, stat: st, viaLink: false };
    else yield { kind: 'special', entry: { path: bytesText(name), kind: specialKind(st), stat: statKey(st), reason: `is a ${kindOf(st)}` } };
    return;
  }
  const handle = PROC_FD ? await open(root, constants.O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK) : undefined;
  try {
    if (handle) {
      // The root itself must still be the directory resolved when the scan began (not swapped for a link since).
      const now = await handle.stat();
      const where = await readlink(`/proc/self/fd/${handle.fd}`, { encoding: 'buffer' }).catch(() => undefined);
      if (now.dev !== st.dev || now.ino !== st.ino || (where !== undefined && !where.equals(root))) {
        yield { kind: 'unreadable', rel: '.', reason: 'the root was replaced while being scanned' };
        return;
      }
    }
    yield { kind: 'directory', rel: '.', abs: root, entered: true };
    yield* walkTree(c, { abs: root, rel: '.', handle }, st, options);
  } finally {
    await handle?.close();
  }
}

// Listing and lstat of the entries are blocking calls: each is a few microseconds on a local file system, while an
// asynchronous call is a round trip through libuv's thread pool; a tree of many small directories spent most of a
// no-change rescan waiting on those round trips. The checks are the same either way.
async function list(p: Parent, seen: Stats): Promise<Buffer[]> {
  if (p.handle) return readdirSync(`/proc/self/fd/${p.handle.fd}`, { encoding: 'buffer' });
  // By path: the directory must be the one the walk saw, before and after listing, and reached by no link.
  const same = async (): Promise<boolean> => {
    const now = await lstat(p.abs);
    const real = await realpath(p.abs, { encoding: 'buffer' });
    return now.isDirectory() && now.dev === seen.dev && now.ino === seen.ino && real.equals(p.abs);
  };
  if (!(await same())) throw new Error('replaced while being scanned (not the directory the walk saw)');
  const names = await readdir(p.abs, { encoding: 'buffer' });
  if (!(await same())) throw new Error('replaced while being listed (not the directory the walk saw)');
  return names;
}

/** A directory being walked: its sorted names, the next one to look at, and its descriptor to close when done. */
interface Frame {
  readonly parent: Parent;
  readonly names: readonly Buffer[];
  next: number;
  readonly depth: number;
}

/**
 * Depth first, in byte order of names, with an explicit stack: every item is yielded once from here (nested
 * generators would pass each item up through every level, which cost a deep tree most of its walk time).
 */
async function* walkTree(c: Confinement, root: Parent, rootStat: Stats, options: WalkOptions): AsyncGenerator<WalkItem> {
  const stack: Frame[] = [];
  const close = (f: Frame): void => {
    if (f.parent.handle && f.parent !== root) closeSync(f.parent.handle.fd);
  };
  try {
    const first = await listed(root, rootStat, 0);
    if ('unreadable' in first) yield first.unreadable;
    else stack.push(first.frame);
    while (stack.length > 0) {
      const f = stack[stack.length - 1] as Frame;
      if (f.next >= f.names.length) {
        close(stack.pop() as Frame);
        continue;
      }
      const name = f.names[f.next++] as Buffer;
      const p = f.parent;
      const rel = p.rel === '.' ? bytesText(name) : `${p.rel}/${bytesText(name)}`;
      const abs = child(p.abs, name);
      let st: Stats;
      try {
        st = lstatSync(access(p, name));
      } catch (err) {
        yield { kind: 'unreadable', rel, reason: errno(err) === 'ENOENT' ? 'vanished while being scanned' : `cannot stat: ${errorMessage(err)}` };
        continue;
      }
      if (st.isFile()) yield { kind: 'file', rel, abs, stat: st, viaLink: false };
      else if (st.isDirectory()) {
        if (options.enter && !(await options.enter(rel, abs))) {
          yield { kind: 'directory', rel, abs, entered: false };
          continue;
        }
        const entered = await enter(c, p, name, rel, abs, st, f.depth + 1);
        // On the stack before anything is yielded: a caller that stops at this directory's item still closes it.
        if (entered.frame) stack.push(entered.frame);
        for (const item of entered.items) yield item;
      } else if (st.isSymbolicLink()) yield* link(c, p, name, rel, st, options.followFileLinks ?? true);
      else yield { kind: 'special', entry: { path: rel, kind: specialKind(st), stat: statKey(st), reason: `is a ${kindOf(st)}, not read` } };
    }
  } finally {
    for (const f of stack) close(f);
  }
}

/** A directory's frame, or why it cannot be listed. */
async function listed(p: Parent, self: Stats, depth: number): Promise<{ frame: Frame } | { unreadable: WalkItem }> {
  try {
    const names = await list(p, self);
    return { frame: { parent: p, names: names.sort(byBytes), next: 0, depth } };
  } catch (err) {
    return { unreadable: { kind: 'unreadable', rel: p.rel, reason: `cannot list directory: ${errorMessage(err)}` } };
  }
}

/** Entering a directory: what to yield for it, and its frame when it is to be walked. */
async function enter(c: Confinement, p: Parent, name: Buffer, rel: string, abs: Buffer, st: Stats, depth: number): Promise<{ items: WalkItem[]; frame?: Frame }> {
  const mountPoint = (why: string): WalkItem => ({ kind: 'special', entry: { path: rel, kind: 'mount-point', stat: statKey(st), reason: `${why}; not crossed (crossFilesystems is off)` } });
  if (!c.crossFilesystems && st.dev !== c.dev) return { items: [mountPoint('another file system is mounted here')] };
  if (depth > MAX_DEPTH) return { items: [{ kind: 'unreadable', rel, reason: `nested deeper than ${MAX_DEPTH} directories: not entered` }] };
  let handle: { readonly fd: number } | undefined;
  if (p.handle) {
    try {
      handle = { fd: openSync(access(p, name), constants.O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK) };
    } catch (err) {
      const code = errno(err);
      const reason = code === 'ELOOP' || code === 'ENOTDIR' ? 'replaced by a symbolic link or a file while being scanned (not followed)' : `cannot open directory: ${errorMessage(err)}`;
      return { items: [{ kind: 'unreadable', rel, reason }] };
    }
  }
  const refuse = (items: WalkItem[]): { items: WalkItem[] } => {
    if (handle) closeSync(handle.fd);
    return { items };
  };
  if (handle) {
    let now: Stats;
    try {
      now = fstatSync(handle.fd);
    } catch (err) {
      return refuse([{ kind: 'unreadable', rel, reason: `cannot stat directory: ${errorMessage(err)}` }]);
    }
    if (now.dev !== st.dev || now.ino !== st.ino) return refuse([{ kind: 'unreadable', rel, reason: 'replaced while being scanned (not the directory the walk saw)' }]);
    if (!c.crossFilesystems && c.mountId !== undefined) {
      const m = await mountIdOf(handle.fd);
      if (m !== undefined && m !== c.mountId) return refuse([mountPoint('another mount (a bind mount) is here')]);
    }
  }
  const self: WalkItem = { kind: 'directory', rel, abs, entered: true };
  const l = await listed({ abs, rel, handle }, st, depth);
  if ('unreadable' in l) return refuse([self, l.unreadable]);
  return { items: [self], frame: l.frame };
}

async function* link(c: Confinement, p: Parent, name: Buffer, rel: string, st: Stats, followFileLinks: boolean): AsyncGenerator<WalkItem> {
  const base = { path: rel, kind: 'symlink' as const, stat: statKey(st) };
  let raw: Buffer;
  try {
    raw = await readlink(access(p, name), { encoding: 'buffer' });
  } catch (err) {
    yield { kind: 'special', entry: { ...base, inside: false, reason: `symbolic link that cannot be read: ${errorMessage(err)}` } };
    return;
  }
  const withTarget = { ...base, target: bytesText(raw) };
  // Resolved from the target as read (not through the link's path again, which may have changed since): relative
  // targets from the link's directory.
  const absolute = raw[0] === SEP[0] || (sep === '\\' && /^[a-zA-Z]:/.test(raw.toString('utf8')));
  const from = absolute ? raw : p.handle ? Buffer.concat([Buffer.from(`/proc/self/fd/${p.handle.fd}/`), raw]) : child(p.abs, raw);
  let real: Buffer;
  try {
    real = await realpath(from, { encoding: 'buffer' });
  } catch (err) {
    yield { kind: 'special', entry: { ...withTarget, inside: false, reason: errno(err) === 'ENOENT' ? 'dangling symbolic link' : `symbolic link that cannot be resolved: ${errorMessage(err)}` } };
    return;
  }
  if (!followFileLinks) {
    yield { kind: 'special', entry: { ...withTarget, inside: isBeneath(c, real), reason: 'symbolic link (not followed)' } };
    return;
  }
  if (!isBeneath(c, real)) {
    yield { kind: 'special', entry: { ...withTarget, inside: false, reason: 'symbolic link out of the watched root (not followed)' } };
    return;
  }
  let tst: Stats;
  try {
    tst = await lstat(real);
  } catch (err) {
    yield { kind: 'special', entry: { ...withTarget, inside: true, reason: `target vanished: ${errorMessage(err)}` } };
    return;
  }
  if (tst.isFile()) {
    yield { kind: 'special', entry: { ...withTarget, inside: true, inspected: true, reason: 'symbolic link to a file inside the root: inspected at this path' } };
    yield { kind: 'file', rel, abs: real, stat: tst, viaLink: true };
    return;
  }
  yield { kind: 'special', entry: { ...withTarget, inside: true, reason: `symbolic link to a ${kindOf(tst)} inside the root (walked at its own place, not through the link)` } };
}
