// Moved to scripts/lib/real-corpus.ts (scripts use it too, and scripts never import test helpers).
export * from '../../scripts/lib/real-corpus.ts';

import type { ExecutionContext } from 'ava';
import { realCorpusBuild } from '../../scripts/lib/real-corpus.ts';

/**
 * True when the pinned bytes of a real-corpus entry are what the tests read. False (and said in the test's log) when a
 * Debian version dropped by the mirrors was replaced by the current build: the caller then checks only what does not
 * depend on the exact build.
 */
export function pinnedBuild(t: ExecutionContext, id: string): boolean {
  const current = realCorpusBuild(id);
  if (current) t.log(`${id}: pinned build gone from the mirrors and snapshot.debian.org; testing ${current.package} (SHA-256 ${current.sha256}) — build-specific expectations not checked`);
  return current === undefined;
}
