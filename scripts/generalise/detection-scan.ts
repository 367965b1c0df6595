// The sealwatch CLI as a user runs it, for the generalisation check: `scan DIR --app NAME --db FILE --json` against a
// fresh database and witness, the --json report parsed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

let root = resolve(import.meta.dirname, '..', '..');

/** Judge with the daemon/main.ts of another tree (a clean export of a commit: scripts/generalise/detection.ts --commit). */
export function useSealwatch(dir: string): void {
  root = dir;
}

export interface ScanJson {
  from_version: string | null;
  to_version: string | null;
  summary: string;
  version_source: string;
  version_signed: boolean;
  findings: { rule: string; severity: string; path: string | null; message: string; evidence: Record<string, unknown> }[];
}

/** A scanner bound to one fresh database (and witness): scan(dir, app) → the CLI's --json report. */
export function cliScanner(): { scan(dir: string, app: string, extra?: string[]): ScanJson; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sealwatch-gen-'));
  return {
    dir,
    scan(target, app, extra = []) {
      const r = spawnSync(process.execPath, [join(root, 'daemon', 'main.ts'), 'scan', target, '--app', app, '--db', join(dir, 'h.db'), '--json', ...extra], {
        encoding: 'utf8',
        maxBuffer: 1 << 30,
        env: { ...process.env, SEALWATCH_WITNESS: join(dir, 'witness.json') },
      });
      if (r.status !== 0 && r.status !== 1) throw new Error(`scan ${target} exited ${r.status}: ${r.stderr}`);
      return JSON.parse(r.stdout) as ScanJson;
    },
  };
}

export const loud = (s: ScanJson): ScanJson['findings'] => s.findings.filter((f) => f.severity !== 'info');

