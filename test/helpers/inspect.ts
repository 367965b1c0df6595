// Inspecting files in tests with the shipped trust store and a fixed reference time (verdicts must not drift as
// the calendar moves: "now" is an input, as in the daemon).
import { readFileSync } from 'node:fs';
import { DEFAULT_TRUST_DIR, loadTrustStore } from '../../daemon/config/trust.ts';
import { inspectBytes, type InspectContext } from '../../daemon/inventory/inspect-file.ts';
import { type ModuleRecord } from '../../daemon/shared/model.ts';
import { type CatalogIndex } from '../../daemon/verify/catalog/catalog.ts';
import { type TrustStore } from '../../daemon/verify/chain/trust-store.ts';

/** The reference time of every verdict asserted in tests. */
export const TEST_NOW = new Date('2026-11-01T00:00:00Z');

const stores = new Map<string, TrustStore>();
export function trustStore(extraDirs: readonly string[] = []): TrustStore {
  const key = extraDirs.join('|');
  let s = stores.get(key);
  if (!s) stores.set(key, (s = loadTrustStore([DEFAULT_TRUST_DIR, ...extraDirs])));
  return s;
}

export function context(options: { extraTrust?: readonly string[]; catalogs?: CatalogIndex; now?: Date } = {}): InspectContext {
  const base = { store: trustStore(options.extraTrust), now: options.now ?? TEST_NOW, signatureCache: new Map<string, boolean>() };
  return options.catalogs ? { ...base, catalogs: options.catalogs } : base;
}

export function inspectFile(path: string, ctx: InspectContext = context()): ModuleRecord {
  const bytes = readFileSync(path);
  return inspectBytes({ path, size: bytes.length }, bytes, ctx);
}

export function inspectBuffer(path: string, bytes: Uint8Array, ctx: InspectContext = context()): ModuleRecord {
  return inspectBytes({ path, size: bytes.length }, bytes, ctx);
}

export function codes(r: ModuleRecord): string[] {
  return r.code_signature.problems.map((p) => p.code);
}
