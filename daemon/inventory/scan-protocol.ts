// Messages between the scan and its worker threads (structured-clone-safe plain data).
import { type Stats } from 'node:fs';
import { type ModuleRecord } from '../shared/model.ts';

export interface WorkerConfig {
  readonly trustDirs: readonly string[];
  readonly catalogDirs: readonly string[];
  readonly systemTrust: boolean;
  /** ISO time the verdicts are judged at. */
  readonly now: string;
  readonly maxFileBytes: number;
}

export interface WorkerJob {
  readonly id: number;
  readonly path: string;
}

export type WorkerReply =
  | { readonly id: number; readonly stat: string; readonly record: ModuleRecord }
  | { readonly id: number; readonly error: { readonly code: string; readonly message: string } };

/** A file is unchanged when device, inode, size, mtime and ctime all are. */
export function statKey(st: Pick<Stats, 'dev' | 'ino' | 'size' | 'mtimeMs' | 'ctimeMs'>): string {
  return `${st.dev}:${st.ino}:${st.size}:${Math.trunc(st.mtimeMs * 1000)}:${Math.trunc(st.ctimeMs * 1000)}`;
}
