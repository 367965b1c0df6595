// The one place a verification context is built — trust anchors (shipped, custom, the system's), Windows catalogs,
// the reference time — for every caller: `inspect`, the scan's worker threads and the bundles a scan verifies
// in its own thread. Callers used to build their own and disagreed (bundles ignored --system-trust and --catalog).
import { addSystemTrust, checkTrustDirs, loadTrustStore } from '../config/trust.ts';
import { TrustStore } from '../verify/chain/trust-store.ts';
import { loadCatalogs } from './catalogs.ts';
import { type InspectContext } from './inspect-file.ts';

/** What decides a verdict besides the file itself. Plain data: it crosses to worker threads. */
export interface VerificationSettings {
  readonly trustDirs: readonly string[];
  readonly catalogDirs: readonly string[];
  readonly systemTrust: boolean;
  /** Also record SHA-1 and MD5 of every file for IoC matching (InspectContext.iocDigests). */
  readonly iocDigests?: boolean;
}

/** Builds the context once; `warnings` collects what the trust store and catalogs had to say. */
export async function buildInspectContext(settings: VerificationSettings, now: Date, warnings: string[] = [], options: { lazyTrust?: boolean } = {}): Promise<InspectContext> {
  const trustWarnings: string[] = [];
  const fill = (store: TrustStore): void => {
    loadTrustStore(settings.trustDirs, store, trustWarnings);
    if (settings.systemTrust) addSystemTrust(store, trustWarnings);
  };
  // Lazily (scan workers): the directories are checked now, the anchors loaded when a signature first needs them —
  // a worker that only hashes data files never loads them. Its warnings are not shown, so nothing is lost.
  let store: TrustStore;
  if (options.lazyTrust) {
    checkTrustDirs(settings.trustDirs);
    store = new TrustStore(fill);
  } else {
    store = new TrustStore();
    fill(store);
  }
  warnings.push(...trustWarnings.map((w) => `trust: ${w}`));
  const base = { store, now, signatureCache: new Map<string, boolean>(), ...(settings.iocDigests ? { iocDigests: true } : {}) };
  if (settings.catalogDirs.length === 0) return base;
  const catalogs = await loadCatalogs(settings.catalogDirs, base);
  for (const e of catalogs.errors) warnings.push(`catalog: ${e}`);
  return { ...base, catalogs };
}

/** The same context judged at another time (a long-lived process verifies each file as of when it reads it). */
export const judgedAt = (ctx: InspectContext, now: Date): InspectContext => (ctx.now.getTime() === now.getTime() ? ctx : { ...ctx, now });
