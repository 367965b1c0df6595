// Scanning in tests: a real SQLite file in a temp dir, a real worker pool, a fixed reference time.
import { copyFileSync, cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_TRUST_DIR } from '../../daemon/config/trust.ts';
import { InspectPool } from '../../daemon/inventory/pool.ts';
import { DEFAULT_MAX_FILE_BYTES } from '../../daemon/inventory/read.ts';
import { Store } from '../../daemon/inventory/store/store.ts';
import { scanApp, type ScanReport } from '../../daemon/pipeline/scan-app.ts';
import { TEST_NOW } from './inspect.ts';
import { realAppPath, realCorpusPath } from './real-corpus.ts';
import { tempDir } from './temp.ts';

export interface ScanHarness {
  readonly store: Store;
  readonly pool: InspectPool;
  readonly dbPath: string;
  scan(app: string, root: string, options?: { appVersion?: string; at?: Date }): Promise<ScanReport>;
  close(): Promise<void>;
}

/** `at`: when verdicts are judged (TEST_NOW; a test whose certificates are made now judges at now). */
export function harness(extraTrust: readonly string[] = [], at: Date = TEST_NOW): ScanHarness {
  const dir = tempDir('sealwatch-db-');
  const dbPath = join(dir, 'sealwatch.db');
  const store = Store.open(dbPath);
  const pool = new InspectPool({ trustDirs: [DEFAULT_TRUST_DIR, ...extraTrust], catalogDirs: [], systemTrust: false, now: at.toISOString(), maxFileBytes: DEFAULT_MAX_FILE_BYTES }, 2);
  let tick = 0;
  return {
    store,
    pool,
    dbPath,
    scan: (app, root, options = {}) =>
      scanApp(store, pool, {
        app,
        root,
        trigger: 'manual',
        // each scan a minute later than the previous one, so first/last-seen are ordered
        now: options.at ?? new Date(at.getTime() + 60_000 * tick++),
        ...(options.appVersion ? { appVersion: options.appVersion } : {}),
      }),
    close: async () => {
      store.close();
      await pool.close();
    },
  };
}

/** A fresh directory to assemble an app version in. */
export function appDir(): string {
  const d = tempDir('sealwatch-app-');
  mkdirSync(d, { recursive: true });
  return d;
}

export function copyTree(from: string, to: string): void {
  cpSync(from, to, { recursive: true });
}

export const above = (severity: string): boolean => severity !== 'info';

/** A Squirrel.Windows install as it lies on disk: the real Update.exe beside one version folder holding a real release. */
export function squirrelInstall(release: string, folder: string): string {
  const root = appDir();
  copyFileSync(realCorpusPath('squirrel'), join(root, 'Update.exe'));
  copyTree(realAppPath(release), join(root, folder));
  return root;
}
