// Opening files under an app root, and nothing else. sealwatch runs as root/SYSTEM over directories a vendor (or an
// attacker) controls, so every open is:
//  - no-follow (O_NOFOLLOW: the last component is never a symbolic link) and non-blocking (O_NONBLOCK: a FIFO or a
//    device opens at once and is refused by fstat instead of hanging the scan);
//  - checked after the fact: the opened file is a regular file, is the file the walk saw (device and inode), lies on
//    the root's file system (and, on Linux, the root's mount: a bind mount keeps the device), and — on Linux —
//    `readlink /proc/self/fd/N` is exactly the path the walk meant, so a directory above it swapped for a link
//    (rename-exchange) is caught. Elsewhere the fallback is realpath + device/inode after the open;
//  - bounded: one reader with one size bound for modules, version sources and bundle files alike.
// Every refusal is a typed error naming the file and the reason (`RefusedError.refusal`).
import { Buffer } from 'node:buffer';
import { closeSync, constants, existsSync, fstatSync, openSync, readFileSync, readlinkSync, readSync, type Stats } from 'node:fs';
import { lstat, open, realpath, stat, type FileHandle } from 'node:fs/promises';
import { sep } from 'node:path';
import { errorMessage, SealwatchError } from '../shared/errors.ts';
import { bytesText } from './names.ts';

/**
 * Linux: /proc/self/fd gives openat-like access and the path of an open file. SEALWATCH_NO_PROCFS=1 turns it off,
 * so that the portable path (macOS, Windows) is tested on Linux too.
 */
export const PROC_FD = process.platform === 'linux' && existsSync('/proc/self/fd') && process.env.SEALWATCH_NO_PROCFS !== '1';
export const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;
export const O_NONBLOCK = constants.O_NONBLOCK ?? 0;
export const O_DIRECTORY = constants.O_DIRECTORY ?? 0;
const SEP = Buffer.from(sep);

/** Files larger than this are hashed by streaming (never held whole in memory). */
export const DEFAULT_MAX_FILE_BYTES = 1024 * 1024 * 1024;

export type RefusalCode =
  /** The path is a symbolic link (or became one while being scanned): not followed. */
  | 'SYMLINK'
  /** A FIFO, socket, device or directory where a regular file was expected. */
  | 'NOT_REGULAR'
  /** The opened file is not the one the walk saw (replaced or moved while being scanned). */
  | 'CHANGED'
  /** What was opened resolves outside the root. */
  | 'OUTSIDE_ROOT'
  /** Another file system or mount inside the root (not crossed unless configured). */
  | 'OTHER_FILESYSTEM'
  /** Over the size bound for a read into memory. */
  | 'TOO_LARGE'
  /** A name that is not a single path component (`../../secret`). */
  | 'BAD_NAME'
  /** Could not be opened or read at all (permission, vanished, name too long, too deep). */
  | 'UNREADABLE';

export class RefusedError extends SealwatchError {
  readonly refusal: RefusalCode;
  constructor(refusal: RefusalCode, path: string, reason: string, cause?: unknown) {
    super(refusal === 'TOO_LARGE' ? 'LIMIT_EXCEEDED' : 'IO', `${path}: ${reason}`, { cause, file: path });
    this.name = 'RefusedError';
    this.refusal = refusal;
  }
}

/** Where reads are confined: plain data, so it can be handed to worker threads. */
export interface Confinement {
  /** Real path of the root (no symbolic links in it), as bytes. */
  readonly root: Uint8Array;
  readonly dev: number;
  /**
   * Linux: mount id of the root (from /proc/self/fdinfo), to notice bind mounts on the same device; undefined (no
   * per-open check) when no mount point lay beneath the root when it was confined. Mounting needs privileges an attacker
   * who can only write into the app does not have (a FUSE mount is another device: the device check catches it).
   */
  readonly mountId: number | undefined;
  readonly crossFilesystems: boolean;
}

export interface Identity {
  readonly dev: number;
  readonly ino: number;
}

const errno = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | undefined)?.code;

export function kindOf(st: Stats): string {
  if (st.isFile()) return 'regular file';
  if (st.isDirectory()) return 'directory';
  if (st.isSymbolicLink()) return 'symbolic link';
  if (st.isFIFO()) return 'FIFO';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice()) return 'character device';
  if (st.isBlockDevice()) return 'block device';
  return 'special file';
}

/** Linux: the mount id of an open descriptor. procfs answers at once: read synchronously (one per file scanned). */
export async function mountIdOf(fd: number): Promise<number | undefined> {
  return mountIdOfSync(fd);
}

function mountIdOfSync(fd: number): number | undefined {
  if (!PROC_FD) return undefined;
  try {
    const m = /^mnt_id:\s*(\d+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'latin1'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The root, resolved once (the caller named it); everything read later must stay under it. */
export async function confine(root: string | Uint8Array, crossFilesystems = false): Promise<Confinement> {
  const real = await realpath(Buffer.from(typeof root === 'string' ? Buffer.from(root) : root), { encoding: 'buffer' });
  const st = await lstat(real);
  let mountId: number | undefined;
  if (PROC_FD && mountPointsBeneath(real)) {
    const h = await open(real, constants.O_RDONLY | O_NONBLOCK | O_NOFOLLOW).catch(() => undefined);
    if (h) {
      mountId = await mountIdOf(h.fd);
      await h.close();
    }
  }
  return { root: real, dev: st.dev, mountId, crossFilesystems };
}

/**
 * Linux: whether /proc/self/mountinfo lists a mount point strictly beneath `root` (true when it cannot be read: the
 * per-open checks then stay on). Mount points are field 5, with space, tab, newline and backslash as octal escapes.
 */
export function mountPointsBeneath(root: Buffer): boolean {
  let text: string;
  try {
    text = readFileSync('/proc/self/mountinfo', 'latin1');
  } catch {
    return true;
  }
  const prefix = root[root.length - 1] === SEP[0] ? root : Buffer.concat([root, SEP]);
  for (const line of text.split('\n')) {
    const field = line.split(' ')[4];
    if (field === undefined) continue;
    const point = Buffer.from(field.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))), 'latin1');
    if (point.length > prefix.length && point.subarray(0, prefix.length).equals(prefix)) return true;
  }
  return false;
}

/** `abs` is the root or lies under it (byte comparison of real paths). */
export function isBeneath(c: Confinement, abs: Uint8Array): boolean {
  const root = Buffer.from(c.root.buffer, c.root.byteOffset, c.root.byteLength);
  const a = Buffer.from(abs.buffer, abs.byteOffset, abs.byteLength);
  if (a.equals(root)) return true;
  const prefix = root.length > 0 && root[root.length - 1] === SEP[0] ? root : Buffer.concat([root, SEP]);
  return a.length > prefix.length && a.subarray(0, prefix.length).equals(prefix);
}

/** `dir` + separator + `name` (no doubled separator after a root such as `/` or `C:\\`). */
export function child(dir: Uint8Array, name: Uint8Array | string): Buffer {
  const d = Buffer.from(dir.buffer, dir.byteOffset, dir.byteLength);
  return Buffer.concat(d.length > 0 && d[d.length - 1] === SEP[0] ? [d, Buffer.from(name)] : [d, SEP, Buffer.from(name)]);
}

/** The absolute path of `components` under the root. */
export function beneath(c: Confinement, ...components: Array<Uint8Array | string>): Buffer {
  let path: Buffer = Buffer.from(c.root);
  for (const comp of components) path = child(path, comp);
  return path;
}

function openError(display: string, err: unknown): RefusedError {
  const code = errno(err);
  if (code === 'ELOOP' || code === 'EMLINK') return new RefusedError('SYMLINK', display, 'is a symbolic link (not followed)', err);
  if (code === 'ENAMETOOLONG') return new RefusedError('UNREADABLE', display, 'path is too long to open on this system', err);
  return new RefusedError('UNREADABLE', display, `cannot open: ${errorMessage(err)}`, err);
}

/**
 * Linux, for paths too long to open whole (ENAMETOOLONG): one component at a time through /proc/self/fd, each with
 * O_NOFOLLOW — no link can be followed anywhere, so the result is under the root by construction.
 */
async function openByComponents(c: Confinement, abs: Uint8Array, display: string): Promise<FileHandle> {
  const root = Buffer.from(c.root);
  const rest = Buffer.from(abs).subarray(root.length + (root[root.length - 1] === SEP[0] ? 0 : 1));
  const comps: Buffer[] = [];
  for (let start = 0; start <= rest.length; ) {
    let end = rest.indexOf(SEP, start);
    if (end < 0) end = rest.length;
    comps.push(rest.subarray(start, end));
    start = end + 1;
  }
  let dir = await open(Buffer.from(c.root), constants.O_RDONLY | O_DIRECTORY);
  try {
    for (let i = 0; i < comps.length - 1; i++) {
      const next = await open(Buffer.concat([Buffer.from(`/proc/self/fd/${dir.fd}/`), comps[i] as Buffer]), constants.O_RDONLY | O_DIRECTORY | O_NOFOLLOW).catch((err: unknown) => {
        throw errno(err) === 'ENOTDIR' ? new RefusedError('SYMLINK', display, 'a directory on its path is a symbolic link or not a directory (not followed)', err) : openError(display, err);
      });
      await dir.close();
      dir = next;
      const st = await dir.stat();
      if (!c.crossFilesystems && st.dev !== c.dev) throw new RefusedError('OTHER_FILESYSTEM', display, 'a directory on its path is on another file system');
    }
    return await open(Buffer.concat([Buffer.from(`/proc/self/fd/${dir.fd}/`), comps[comps.length - 1] as Buffer]), constants.O_RDONLY | O_NOFOLLOW | O_NONBLOCK).catch((err: unknown) => {
      throw openError(display, err);
    });
  } finally {
    await dir.close();
  }
}

/** What the descriptor's fstat must say: a regular file, `expect` (when given), on the root's file system. */
function checkOpenedStat(c: Confinement, st: Stats, display: string, expect: Identity | undefined): void {
  if (!st.isFile()) throw new RefusedError('NOT_REGULAR', display, `is a ${kindOf(st)}, not a regular file`);
  if (expect && (st.dev !== expect.dev || st.ino !== expect.ino)) {
    throw new RefusedError('CHANGED', display, 'is not the file the walk saw (replaced while being scanned)');
  }
  if (!c.crossFilesystems && st.dev !== c.dev) throw new RefusedError('OTHER_FILESYSTEM', display, 'is on another file system than the root (not crossed unless configured)');
}

/** Linux: the descriptor is on the root's mount and `/proc/self/fd` names exactly `abs` (unless already checked by components). */
function checkOpenedProcFd(c: Confinement, fd: number, abs: Uint8Array, display: string, pathChecked: boolean): void {
  if (!c.crossFilesystems && c.mountId !== undefined) {
    const m = mountIdOfSync(fd);
    if (m !== undefined && m !== c.mountId) throw new RefusedError('OTHER_FILESYSTEM', display, 'is on another mount than the root (a bind mount; not crossed unless configured)');
  }
  if (pathChecked) return;
  let where: Buffer | undefined;
  try {
    where = readlinkSync(`/proc/self/fd/${fd}`, { encoding: 'buffer' });
  } catch {
    where = undefined;
  }
  if (where === undefined) throw new RefusedError('UNREADABLE', display, 'cannot tell where the opened file is (/proc/self/fd)');
  if (!where.equals(Buffer.from(abs))) {
    if (!isBeneath(c, where)) throw new RefusedError('OUTSIDE_ROOT', display, `opens ${bytesText(where)}, outside the root (a directory on its path was swapped for a link)`);
    throw new RefusedError('CHANGED', display, `opens ${bytesText(where)}, not the path the walk saw (moved while being scanned)`);
  }
}

/** Checks that an open handle is a regular file, is `expect` (when given), and is `abs` under the root. */
async function verifyOpened(c: Confinement, h: FileHandle, abs: Uint8Array, display: string, expect: Identity | undefined, pathChecked: boolean): Promise<Stats> {
  const st = await h.stat();
  checkOpenedStat(c, st, display, expect);
  if (PROC_FD) {
    checkOpenedProcFd(c, h.fd, abs, display, pathChecked);
    return st;
  }
  // Elsewhere: no link anywhere on the path now, and the path still names the opened file.
  let real: Buffer;
  let now: Stats;
  try {
    real = await realpath(Buffer.from(abs), { encoding: 'buffer' });
    now = await stat(real);
  } catch (err) {
    throw new RefusedError('CHANGED', display, `vanished while being opened: ${errorMessage(err)}`, err);
  }
  if (!isBeneath(c, real)) throw new RefusedError('OUTSIDE_ROOT', display, `resolves to ${bytesText(real)}, outside the root`);
  if (!real.equals(Buffer.from(abs)) || now.dev !== st.dev || now.ino !== st.ino) throw new RefusedError('CHANGED', display, 'is not the path the walk saw (a directory on its path changed)');
  return st;
}

export interface Opened {
  readonly handle: FileHandle;
  readonly stat: Stats;
  /** Text form of the path (for records and messages). */
  readonly display: string;
}

/** Opens the regular file at `abs` under the root, no-follow and non-blocking, and checks what was opened. */
export async function openConfined(c: Confinement, abs: Uint8Array, expect?: Identity): Promise<Opened> {
  const display = bytesText(abs);
  if (!isBeneath(c, abs)) throw new RefusedError('OUTSIDE_ROOT', display, 'is outside the root');
  let handle: FileHandle;
  let pathChecked = false;
  try {
    handle = await open(Buffer.from(abs), constants.O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (err) {
    if (errno(err) !== 'ENAMETOOLONG' || !PROC_FD) throw openError(display, err);
    handle = await openByComponents(c, abs, display);
    pathChecked = true;
  }
  try {
    return { handle, stat: await verifyOpened(c, handle, abs, display, expect, pathChecked), display };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

export interface OpenedSync {
  readonly fd: number;
  readonly stat: Stats;
  readonly display: string;
}

/**
 * The same open and the same checks as `openConfined`, in blocking calls, for worker threads that read one file at a
 * time: each asynchronous step is a round trip through libuv's thread pool, and for small files those round trips,
 * not the reads, were most of a scan's time (a 20,000-file baseline: workers idle 55% of it). Linux only (the
 * /proc/self/fd check is synchronous there); undefined when this path cannot be taken — elsewhere, or a path too
 * long to open whole — and the caller then uses `openConfined`. The caller closes `fd`.
 */
export function openConfinedSync(c: Confinement, abs: Uint8Array, expect?: Identity): OpenedSync | undefined {
  if (!PROC_FD) return undefined;
  const display = bytesText(abs);
  if (!isBeneath(c, abs)) throw new RefusedError('OUTSIDE_ROOT', display, 'is outside the root');
  let fd: number;
  try {
    fd = openSync(Buffer.from(abs), constants.O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (err) {
    if (errno(err) === 'ENAMETOOLONG') return undefined;
    throw openError(display, err);
  }
  try {
    const st = fstatSync(fd);
    checkOpenedStat(c, st, display, expect);
    checkOpenedProcFd(c, fd, abs, display, false);
    return { fd, stat: st, display };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/** `readAll` for a descriptor, in blocking reads (worker threads: see openConfinedSync). */
export function readAllSync(fd: number, size: number, maxBytes: number, display: string): Buffer {
  if (size > maxBytes) throw new RefusedError('TOO_LARGE', display, `${size} bytes is over the ${maxBytes}-byte limit for a read into memory`);
  const bytes = Buffer.allocUnsafe(size);
  let read = 0;
  while (read < size) {
    const n = readSync(fd, bytes, read, size - read, read);
    if (n === 0) break;
    read += n;
  }
  return bytes.subarray(0, read);
}

/** Reads the whole of an open file of `size` bytes, refusing more than `maxBytes` (never reads past `size`). */
export async function readAll(handle: FileHandle, size: number, maxBytes: number, display: string): Promise<Buffer> {
  if (size > maxBytes) throw new RefusedError('TOO_LARGE', display, `${size} bytes is over the ${maxBytes}-byte limit for a read into memory`);
  const bytes = Buffer.allocUnsafe(size);
  let read = 0;
  while (read < size) {
    const { bytesRead } = await handle.read(bytes, read, size - read, read);
    if (bytesRead === 0) break;
    read += bytesRead;
  }
  return bytes.subarray(0, read);
}

/** Reads `length` bytes at `position` (fewer at the end of the file). */
export async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const bytes = Buffer.allocUnsafe(length);
  let read = 0;
  while (read < length) {
    const { bytesRead } = await handle.read(bytes, read, length - read, position + read);
    if (bytesRead === 0) break;
    read += bytesRead;
  }
  return bytes.subarray(0, read);
}

/** A small file under the root (a version source, Info.plist, CodeResources): confined and bounded, or a RefusedError. */
export async function readConfined(c: Confinement, abs: Uint8Array, maxBytes: number): Promise<Buffer> {
  const { handle, stat: st, display } = await openConfined(c, abs);
  try {
    return await readAll(handle, st.size, maxBytes, display);
  } finally {
    await handle.close();
  }
}

/** lstat of a path under the root (never follows the last component); undefined when absent. */
export async function lstatConfined(c: Confinement, abs: Uint8Array): Promise<Stats | undefined> {
  if (!isBeneath(c, abs)) return undefined;
  try {
    return await lstat(Buffer.from(abs));
  } catch {
    return undefined;
  }
}

/** A real directory (not a link) at `abs` whose real path is `abs` itself: no link anywhere on its path. */
export async function isRealDirectory(c: Confinement, abs: Uint8Array): Promise<boolean> {
  const st = await lstatConfined(c, abs);
  if (!st?.isDirectory()) return false;
  if (!c.crossFilesystems && st.dev !== c.dev) return false;
  try {
    return (await realpath(Buffer.from(abs), { encoding: 'buffer' })).equals(Buffer.from(abs));
  } catch {
    return false;
  }
}
