// The one place a verification context is built — trust anchors (shipped, custom, the system's), Windows catalogs,
// the reference time — for every caller: `inspect`, the scan's worker threads and the bundles a scan verifies
// in its own thread. Callers used to build their own and disagreed (bundles ignored --system-trust and --catalog).
import { addSystemTrust, loadTrustStore } from '../config/trust.ts';
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
export async function buildInspectContext(settings: VerificationSettings, now: Date, warnings: string[] = []): Promise<InspectContext> {
  const trustWarnings: string[] = [];
  const store = loadTrustStore(settings.trustDirs, undefined, trustWarnings);
  if (settings.systemTrust) addSystemTrust(store, trustWarnings);
  warnings.push(...trustWarnings.map((w) => `trust: ${w}`));
  const base = { store, now, signatureCache: new Map<string, boolean>(), ...(settings.iocDigests ? { iocDigests: true } : {}) };
  if (settings.catalogDirs.length === 0) return base;
  const catalogs = await loadCatalogs(settings.catalogDirs, base);
  for (const e of catalogs.errors) warnings.push(`catalog: ${e}`);
  return { ...base, catalogs };
}

/** The same context judged at another time (a long-lived process verifies each file as of when it reads it). */
export const judgedAt = (ctx: InspectContext, now: Date): InspectContext => (ctx.now.getTime() === now.getTime() ? ctx : { ...ctx, now });
