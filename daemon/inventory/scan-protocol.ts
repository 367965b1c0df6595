// Messages between the scan and its worker threads (structured-clone-safe plain data).
import { type Stats } from 'node:fs';
import { type ModuleRecord } from '../shared/model.ts';
import { type Confinement, type RefusalCode } from './confined.ts';

export interface WorkerConfig {
  readonly trustDirs: readonly string[];
  readonly catalogDirs: readonly string[];
  readonly systemTrust: boolean;
  /** ISO time the verdicts are judged at, unless the pool has a clock (each job then carries its own). */
  readonly now: string;
  readonly maxFileBytes: number;
  /** Also record SHA-1 and MD5 of every file for IoC matching (InspectContext.iocDigests). */
  readonly iocDigests?: boolean;
}

/** What the walk saw, so the worker opens exactly that file under the root (confined.ts) and nothing else. */
export interface WorkerTarget {
  readonly confinement: Confinement;
  /** Absolute path bytes to open (for a link inside the root: its target's real path). */
  readonly abs: Uint8Array;
  readonly dev: number;
  readonly ino: number;
}

export interface WorkerJob {
  readonly id: number;
  /** Path the record names (text form); opened as named when there is no target (a file the user named). */
  readonly path: string;
  /** ISO time this file is judged at. */
  readonly now: string;
  readonly target?: WorkerTarget;
}

export type WorkerReply =
  | { readonly id: number; readonly stat: string; readonly record: ModuleRecord }
  | { readonly id: number; readonly error: { readonly code: string; readonly message: string; readonly refusal?: RefusalCode } };

/** A file is unchanged when device, inode, size, mtime and ctime all are. */
export function statKey(st: Pick<Stats, 'dev' | 'ino' | 'size' | 'mtimeMs' | 'ctimeMs'>): string {
  return `${st.dev}:${st.ino}:${st.size}:${Math.trunc(st.mtimeMs * 1000)}:${Math.trunc(st.ctimeMs * 1000)}`;
}
