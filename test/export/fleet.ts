// Simulated hosts for the export tests: each its own history database, scanning its own copy of the same Electron-
// shaped app version assembled from real signed vendor files (test/helpers/electron-app.ts), with an `ffmpeg.dll`
// beside the main executable — on most hosts Microsoft's real conpty.dll, on the odd one Microsoft's real
// msalruntime.dll (both Authenticode-signed, from the real corpus): same name, same app version, different module.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_TRUST_DIR } from '../../daemon/config/trust.ts';
import { type HostFacts } from '../../daemon/export/ecs.ts';
import { InspectPool } from '../../daemon/inventory/pool.ts';
import { DEFAULT_MAX_FILE_BYTES } from '../../daemon/inventory/read.ts';
import { Store } from '../../daemon/inventory/store/store.ts';
import { scanApp, type ScanReport } from '../../daemon/pipeline/scan-app.ts';
import { type Logger } from '../../daemon/shared/logger.ts';
import { put, writeElectronApp } from '../helpers/electron-app.ts';
import { TEST_NOW } from '../helpers/inspect.ts';
import { realCorpusPath } from '../helpers/real-corpus.ts';
import { tempDir } from '../helpers/temp.ts';

export const APP = 'contoso-desktop';
export const FFMPEG_COMMON = 'conpty';
export const FFMPEG_ODD = 'msalruntime';

export interface SimHost {
  readonly facts: HostFacts;
  readonly store: Store;
  readonly root: string;
  scan(minutes: number): Promise<ScanReport>;
  close(): Promise<void>;
}

export function hostFacts(name: string, n: number): HostFacts {
  return { hostname: name, id: `${String(n).repeat(32)}`.slice(0, 32), os: { type: 'windows', platform: 'win32', version: '10.0.22631' } };
}

/** One host: database, app copy (ffmpeg.dll from the real corpus entry `ffmpeg`), scans that queue `exports`. */
export function simHost(name: string, n: number, ffmpeg: string, exports: readonly string[]): SimHost {
  const dir = tempDir(`sealwatch-${name}-`);
  const root = join(dir, 'app');
  writeElectronApp(root);
  put(root, 'ffmpeg.dll', readFileSync(realCorpusPath(ffmpeg)));
  const store = Store.open(join(dir, 'sealwatch.db'));
  return {
    facts: hostFacts(name, n),
    store,
    root,
    scan: async (minutes) => {
      const pool = new InspectPool({ trustDirs: [DEFAULT_TRUST_DIR], catalogDirs: [], systemTrust: false, now: TEST_NOW.toISOString(), maxFileBytes: DEFAULT_MAX_FILE_BYTES }, 1);
      try {
        return await scanApp(store, pool, { app: APP, root, trigger: 'manual', now: new Date(TEST_NOW.getTime() + minutes * 60_000), exports });
      } finally {
        await pool.close();
      }
    },
    close: async () => {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Said {
  readonly level: string;
  readonly message: string;
  readonly meta: object | undefined;
}

export function keepingLogger(): Logger & { said: Said[] } {
  const said: Said[] = [];
  const keep = (level: string) => (message: string, meta?: object) => void said.push({ level, message, meta });
  return { said, error: keep('error'), warn: keep('warn'), info: keep('info'), debug: keep('debug') };
}

/** The fenced ```sql blocks of the docs/fleet.md section that starts with `heading`, verbatim. */
export function docQueries(markdown: string, heading: string): string[] {
  const start = markdown.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`docs/fleet.md has no heading ${heading}`);
  const rest = markdown.slice(start + heading.length + 2);
  const next = rest.search(/\n#{1,3} /);
  const section = next < 0 ? rest : rest.slice(0, next);
  return [...section.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => (m[1] as string).trim());
}
