// Reading files to inspect: one bounded, non-blocking, no-follow reader (confined.ts) for everything, and the walk
// (walk.ts) in the shape the inspect command uses.
import { constants } from 'node:fs';
import { lstat, open, realpath, type FileHandle } from 'node:fs/promises';
import { sep } from 'node:path';
import { errorMessage } from '../shared/errors.ts';
import { confine, kindOf, O_NOFOLLOW, O_NONBLOCK, readAll, RefusedError, type Opened } from './confined.ts';
import type { FileFacts } from './inspect-file.ts';
import { bytesText, textBytes } from './names.ts';
import { walkConfined } from './walk.ts';

export { DEFAULT_MAX_FILE_BYTES } from './confined.ts';
import { DEFAULT_MAX_FILE_BYTES } from './confined.ts';

export interface ReadFile {
  readonly facts: FileFacts;
  readonly bytes: Uint8Array;
}

/**
 * Opens a file the caller named (a command-line argument, or a walk entry of the inspect command): no-follow and
 * non-blocking, refused unless it is a regular file. A named symbolic link is resolved once — the user named it —
 * and its target opened no-follow in turn; walks that must stay under a root use confined.ts instead.
 */
export async function openNamedFile(path: string): Promise<Opened> {
  const flags = constants.O_RDONLY | O_NOFOLLOW | O_NONBLOCK;
  // `path` is a text form (names.ts) — the walk's, or a named path made one: the bytes it stands for are opened.
  const bytes = textBytes(path);
  let handle: FileHandle;
  try {
    handle = await open(bytes, flags);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ELOOP' && code !== 'EMLINK') throw new RefusedError('UNREADABLE', path, `cannot open: ${errorMessage(err)}`, err);
    try {
      handle = await open(await realpath(bytes), flags);
    } catch (again) {
      throw new RefusedError('SYMLINK', path, `symbolic link that cannot be opened: ${errorMessage(again)}`, again);
    }
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new RefusedError('NOT_REGULAR', path, `is a ${kindOf(st)}, not a regular file`);
    return { handle, stat: st, display: path };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/** A named file read whole, refused over `maxBytes` (the scan streams such files instead: inspect-open.ts). */
export async function readModuleFile(path: string, maxBytes = DEFAULT_MAX_FILE_BYTES): Promise<ReadFile> {
  const { handle, stat } = await openNamedFile(path);
  try {
    const bytes = await readAll(handle, stat.size, maxBytes, path);
    return { facts: { path, size: bytes.length, mtime: stat.mtime }, bytes };
  } finally {
    await handle.close();
  }
}

export interface WalkEntry {
  readonly kind: 'file' | 'directory';
  /** Text form (names.ts): `textBytes` gives the bytes to open. */
  readonly path: string;
  /** The root itself: a file the user named, or the directory the walk started at. */
  readonly root: boolean;
}

/**
 * Directories (before their contents) and regular files under `root`, depth first, sorted by name bytes. A link is
 * walked as its file only when it resolves to a regular file inside `root`; other links, FIFOs, sockets, devices and
 * mounts of other file systems are reported through `onSkip`, and so are places the walk could not read (`unreadable`).
 */
export async function* walkEntries(root: string, onSkip?: (path: string, reason: string, unreadable: boolean) => void): AsyncGenerator<WalkEntry> {
  const c = await confine(root);
  const base = bytesText(c.root);
  const rootIsDir = (await lstat(Buffer.from(c.root))).isDirectory();
  const at = (rel: string): string => (rel === '.' || !rootIsDir ? base : `${base.endsWith(sep) ? base : base + sep}${rel.split('/').join(sep)}`);
  for await (const item of walkConfined(c)) {
    if (item.kind === 'directory') yield { kind: 'directory', path: at(item.rel), root: item.rel === '.' };
    else if (item.kind === 'file') yield { kind: 'file', path: at(item.rel), root: item.rel === '.' || !rootIsDir };
    else if (item.kind === 'special') {
      if (!item.entry.inspected) onSkip?.(at(item.entry.path), item.entry.reason, false);
    } else onSkip?.(at(item.rel), item.reason, true); // a directory that could not be listed: what is under it was not seen
  }
}
