// `mkdir -p` one component at a time. Node's recursive mkdirSync loops forever where a directory can be neither made
// nor found (a path under /proc: it gets ENOENT, looks for the parent, finds it, tries again): a --db or log path
// there hung sealwatch at full CPU. Here the first component that cannot be made is an error naming it.
import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { errorMessage, SealwatchError } from './errors.ts';

/** Makes `dir` and any missing parents (each with `mode`, when given); an existing directory is fine. */
export function makeDirs(dir: string, mode?: number): void {
  const missing: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    const st = statSync(d, { throwIfNoEntry: false });
    if (st?.isDirectory()) break;
    if (st) throw new SealwatchError('IO', `${d}: cannot make directory ${dir}: it is not a directory`, { file: d });
    missing.unshift(d);
    if (dirname(d) === d) break;
  }
  for (const d of missing) {
    try {
      mkdirSync(d, mode === undefined ? undefined : { mode });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && statSync(d, { throwIfNoEntry: false })?.isDirectory()) continue;
      throw new SealwatchError('IO', `${d}: cannot make directory: ${errorMessage(err)}`, { file: d, cause: err });
    }
  }
}
