// Scanning under policies in tests: a real SQLite file, a real worker pool, a fixed reference time, and the policy
// stage of the pipeline (ScanRequest.policies).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_TRUST_DIR } from '../../daemon/config/trust.ts';
import { InspectPool } from '../../daemon/inventory/pool.ts';
import { DEFAULT_MAX_FILE_BYTES } from '../../daemon/inventory/read.ts';
import { Store } from '../../daemon/inventory/store/store.ts';
import { scanApp, type ScanReport } from '../../daemon/pipeline/scan-app.ts';
import { loadPolicies } from '../../daemon/policy/load.ts';
import { type Policy } from '../../daemon/policy/types.ts';
import { TEST_NOW } from '../helpers/inspect.ts';
import { tempDir } from '../helpers/temp.ts';

export const POLICIES_DIR = resolve(import.meta.dirname, '..', '..', 'policies');

export interface PolicyHarness {
  readonly store: Store;
  readonly dbPath: string;
  scan(app: string, root: string, options?: { appVersion?: string; at?: Date; policies?: readonly Policy[] }): Promise<ScanReport>;
  close(): Promise<void>;
}

/** `at`: when verdicts are judged (TEST_NOW; a test whose certificates are made now judges at now). */
export function policyHarness(defaults: readonly Policy[], extraTrust: readonly string[] = [], at: Date = TEST_NOW): PolicyHarness {
  const dbPath = join(tempDir('sealwatch-policy-db-'), 'sealwatch.db');
  const store = Store.open(dbPath);
  const pool = new InspectPool({ trustDirs: [DEFAULT_TRUST_DIR, ...extraTrust], catalogDirs: [], systemTrust: false, now: at.toISOString(), maxFileBytes: DEFAULT_MAX_FILE_BYTES }, 2);
  let tick = 0;
  return {
    store,
    dbPath,
    scan: (app, root, o = {}) =>
      scanApp(store, pool, { app, root, trigger: 'manual', now: o.at ?? new Date(at.getTime() + 60_000 * tick++), policies: o.policies ?? defaults, ...(o.appVersion ? { appVersion: o.appVersion } : {}) }),
    close: async () => {
      store.close();
      await pool.close();
    },
  };
}

/** Policies from files; the test fails loudly on any lint error (warnings, such as a floor, are allowed). */
export function policiesFrom(...paths: string[]): Policy[] {
  const { policies, problems: all } = loadPolicies(paths);
  const problems = all.filter((p) => p.level === 'error');
  if (problems.length) throw new Error(problems.map((p) => `${p.file}:${p.line}: ${p.field}: ${p.reason}`).join('\n'));
  return [...policies];
}

/** A policy file written into a temp dir. */
export function policyFile(text: string, name = 'policy.yaml'): string {
  const dir = tempDir('sealwatch-policy-');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** A directory whose last component is `name` (policies recognise install folders by it). */
export function namedRoot(name: string): string {
  const d = join(tempDir('sealwatch-app-'), name);
  mkdirSync(d, { recursive: true });
  return d;
}
