// Reading files to inspect: bounded in size, never following a symbolic link out of the tree being walked.
import { constants as fsConstants } from 'node:fs';
import { lstat, open, readdir, realpath, stat } from 'node:fs/promises';
import { join, relative, isAbsolute, sep } from 'node:path';
import { SealwatchError, errorMessage } from '../shared/errors.ts';
import { type FileFacts } from './inspect-file.ts';

/** Files larger than this are recorded (size, stat) but not read: bounds memory per file. */
export const DEFAULT_MAX_FILE_BYTES = 1024 * 1024 * 1024;

export interface ReadFile {
  readonly facts: FileFacts;
  readonly bytes: Uint8Array;
}

export async function readModuleFile(path: string, maxBytes = DEFAULT_MAX_FILE_BYTES): Promise<ReadFile> {
  let handle;
  try {
    // O_NONBLOCK: a FIFO or device swapped in for a file must not block the read; fstat below refuses it.
    handle = await open(path, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0));
  } catch (err) {
    throw new SealwatchError('IO', `${path}: cannot open: ${errorMessage(err)}`, { cause: err, file: path });
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new SealwatchError('IO', `${path}: not a regular file`, { file: path });
    if (st.size > maxBytes) {
      throw new SealwatchError('LIMIT_EXCEEDED', `${path}: ${st.size} bytes is over the ${maxBytes}-byte limit per file`, { file: path });
    }
    const bytes = Buffer.allocUnsafe(st.size);
    let read = 0;
    while (read < st.size) {
      const { bytesRead } = await handle.read(bytes, read, st.size - read, read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    return { facts: { path, size: read, mtime: st.mtime }, bytes: bytes.subarray(0, read) };
  } finally {
    await handle.close();
  }
}

function inside(root: string, candidate: string): boolean {
  const rel = relative(root, candidate);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel) && !rel.startsWith(`..${sep}`));
}

export interface WalkEntry {
  readonly kind: 'file' | 'directory';
  readonly path: string;
}

/**
 * Directories (before their contents) and regular files under `root`, depth first, sorted for stable output.
 * Symbolic links are followed only when they resolve inside `root` (an app's own relative links) and never into a
 * directory loop.
 */
export async function* walkEntries(root: string, onSkip?: (path: string, reason: string) => void): AsyncGenerator<WalkEntry> {
  const realRoot = await realpath(root);
  const seenDirs = new Set<string>();
  async function* walk(dir: string): AsyncGenerator<WalkEntry> {
    const real = await realpath(dir);
    if (seenDirs.has(real)) return;
    seenDirs.add(real);
    yield { kind: 'directory', path: dir };
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      onSkip?.(dir, `cannot list: ${errorMessage(err)}`);
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const path = join(dir, e.name);
      if (e.isSymbolicLink()) {
        let target: string;
        try {
          target = await realpath(path);
        } catch {
          onSkip?.(path, 'dangling symbolic link');
          continue;
        }
        if (!inside(realRoot, target)) {
          onSkip?.(path, 'symbolic link out of the watched root');
          continue;
        }
        const st = await stat(target);
        if (st.isDirectory()) yield* walk(path);
        else if (st.isFile()) yield { kind: 'file', path };
      } else if (e.isDirectory()) yield* walk(path);
      else if (e.isFile()) yield { kind: 'file', path };
    }
  }
  const st = await lstat(root);
  if (st.isDirectory()) yield* walk(root);
  else yield { kind: 'file', path: root };
}
