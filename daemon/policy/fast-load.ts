// Policies for a scan without the YAML parser when it can: a policy file whose text is one of the shipped policies,
// byte for byte (SHA-256), takes the result parsed ahead of time (shipped-policies.gen.ts, scripts/policy-cache.ts);
// any other file — an operator's policy, an edited shipped one — sends the whole set through load.ts, which parses,
// validates and reports exactly as before. Loading yaml and parsing the shipped set cost ~45 ms of every scan.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { assetPath } from '../shared/assets.ts';
import { policyFiles } from './files.ts';
import { SHIPPED_POLICY_CACHE } from './shipped-policies.gen.ts';
import { formatProblem, type Policy, type PolicyProblem } from './types.ts';

export interface CachedPolicy {
  readonly policy: Omit<Policy, 'file'>;
  readonly problems: ReadonlyArray<Omit<PolicyProblem, 'file'>>;
}

export const textDigest = (text: string): string => createHash('sha256').update(text).digest('hex');

/** What `policiesOrFail` (load.ts) returns and reports for the shipped policies and `paths`. */
export async function scanPolicies(paths: readonly string[], report: (line: string) => void): Promise<readonly Policy[]> {
  const cached = fromCache([assetPath('policies'), ...paths]);
  if (!cached) return (await import('./load.ts')).policiesOrFail(paths, report);
  for (const p of cached.problems) report(formatProblem(p));
  return cached.policies;
}

/** Every file's cached result, or undefined when one is not cached, cannot be read, or a name repeats. */
function fromCache(paths: readonly string[]): { policies: Policy[]; problems: PolicyProblem[] } | undefined {
  const policies: Policy[] = [];
  const problems: PolicyProblem[] = [];
  const names = new Set<string>();
  const seen = new Set<string>();
  try {
    for (const given of paths) {
      for (const file of policyFiles(resolve(given))) {
        if (seen.has(file)) continue;
        seen.add(file);
        const hit = SHIPPED_POLICY_CACHE[textDigest(readFileSync(file, 'utf8'))];
        if (!hit || names.has(hit.policy.name)) return undefined;
        names.add(hit.policy.name);
        policies.push({ ...structuredClone(hit.policy), file });
        problems.push(...hit.problems.map((p) => ({ ...p, file })));
      }
    }
  } catch {
    return undefined;
  }
  return { policies, problems };
}
