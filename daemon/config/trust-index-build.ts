// Builds a trust index (trust-index.ts) from a directory, the slow way, once.
import { parseTrustDir } from './trust.ts';
import { indexSources, policyToIndex, type TrustIndex } from './trust-index.ts';

export { TRUST_INDEX_NAME } from './trust-index.ts';

export function buildTrustIndex(dir: string): TrustIndex {
  const parsed = parseTrustDir(dir);
  const b64 = (u: Uint8Array): string => Buffer.from(u).toString('base64');
  return {
    format: 1,
    sources: indexSources(dir),
    roots: parsed.roots
      .map((r) => ({ sha256: r.peek.sha256, subject_der: b64(r.peek.subjectDer), der: b64(r.der), policy: policyToIndex(r.policy) }))
      .sort((a, b) => (a.sha256 < b.sha256 ? -1 : 1)),
    intermediates: parsed.intermediates.map((i) => b64(i.der)).sort(),
  };
}
