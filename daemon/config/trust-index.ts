// A prebuilt index of a trust directory with an authroot.stl: the program's roots as DER with their purposes, so that
// loading trust costs a JSON read instead of decoding a 2-million-node CTL and 500 certificates in every process and
// worker (that took ~2.8 s and ~240 MB per thread). The index names the SHA-256 of every file it was built from and
// is used only while they match; otherwise the directory is parsed as before. scripts/build-trust-index.ts writes it
// and a test checks the shipped one is what the files give.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AnchorPolicy } from '../verify/chain/trust-store.ts';

export const TRUST_INDEX_NAME = 'trust-index.json';

export interface IndexedPolicy {
  readonly purposes?: readonly string[];
  readonly disallowedFrom?: string;
  readonly disallowedPurposes?: readonly string[];
  readonly notBefore?: string;
  readonly notBeforePurposes?: readonly string[];
  readonly friendlyName?: string;
}

export interface TrustIndex {
  readonly format: 1;
  /** SHA-256 of each file the index was built from, by name. */
  readonly sources: Readonly<Record<string, string>>;
  /** Self-issued roots the program lists, with their policy. */
  readonly roots: ReadonlyArray<{ readonly sha256: string; readonly subject_der: string; readonly der: string; readonly policy: IndexedPolicy }>;
  /** Other certificates found beside them (paths may use them, never anchors). */
  readonly intermediates: readonly string[];
}

/** The files an index covers: authroot.stl and every certificate file, in name order. */
export function indexSources(dir: string): Record<string, string> {
  const names = readdirSync(dir).filter((f) => f === 'authroot.stl' || /\.(pem|crt|cer|der)$/i.test(f)).sort();
  return Object.fromEntries(names.map((n) => [n, createHash('sha256').update(readFileSync(join(dir, n))).digest('hex')]));
}

/** The directory's index when it exists and still describes exactly these files; undefined otherwise. */
export function readTrustIndex(dir: string): TrustIndex | undefined {
  let index: TrustIndex;
  try {
    index = JSON.parse(readFileSync(join(dir, TRUST_INDEX_NAME), 'utf8')) as TrustIndex;
  } catch {
    return undefined;
  }
  if (index.format !== 1) return undefined;
  const now = indexSources(dir);
  const same = Object.keys(now).length === Object.keys(index.sources).length && Object.entries(now).every(([n, h]) => index.sources[n] === h);
  return same ? index : undefined;
}

export function policyToIndex(p: AnchorPolicy): IndexedPolicy {
  return {
    ...(p.purposes ? { purposes: [...p.purposes].sort() } : {}),
    ...(p.disallowedFrom ? { disallowedFrom: p.disallowedFrom.toISOString() } : {}),
    ...(p.disallowedPurposes ? { disallowedPurposes: [...p.disallowedPurposes].sort() } : {}),
    ...(p.notBefore ? { notBefore: p.notBefore.toISOString() } : {}),
    ...(p.notBeforePurposes ? { notBeforePurposes: [...p.notBeforePurposes].sort() } : {}),
    ...(p.friendlyName !== undefined ? { friendlyName: p.friendlyName } : {}),
  };
}

export function policyFromIndex(p: IndexedPolicy): AnchorPolicy {
  return {
    ...(p.purposes ? { purposes: new Set(p.purposes) } : {}),
    ...(p.disallowedFrom ? { disallowedFrom: new Date(p.disallowedFrom) } : {}),
    ...(p.disallowedPurposes ? { disallowedPurposes: new Set(p.disallowedPurposes) } : {}),
    ...(p.notBefore ? { notBefore: new Date(p.notBefore) } : {}),
    ...(p.notBeforePurposes ? { notBeforePurposes: new Set(p.notBeforePurposes) } : {}),
    ...(p.friendlyName !== undefined ? { friendlyName: p.friendlyName } : {}),
  };
}
