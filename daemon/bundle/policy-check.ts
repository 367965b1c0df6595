// The policies of a bundle checked as the daemon will load them (install.ts refuses a bundle whose policies do not
// load): `bundle sign` refuses to sign them and `bundle verify` reports them, instead of the daemon finding out.
import { basename } from 'node:path';
import { loadPolicies, readPolicyText, SHIPPED_POLICIES } from '../policy/load.ts';
import { type PolicyProblem } from '../policy/types.ts';
import { type BundleFile } from './envelope.ts';

/**
 * The errors (not warnings) of the bundle's policy files: a policy name used twice, or one the shipped policies already
 * use (the daemon loads both: it would refuse to start), included; and a policy file the daemon would not load.
 */
export function bundlePolicyErrors(files: readonly BundleFile[]): PolicyProblem[] {
  const errors: PolicyProblem[] = [];
  const names = new Map<string, string>(loadPolicies([SHIPPED_POLICIES]).policies.map((p) => [p.name, `the shipped ${basename(p.file)}`]));
  for (const f of files) {
    if (!/\.ya?ml$/i.test(f.name)) {
      errors.push({ level: 'error', file: f.name, line: undefined, field: '(file)', reason: 'policies are .yaml or .yml files: the daemon does not load this one' });
      continue;
    }
    const r = readPolicyText(f.name, f.content);
    errors.push(...r.problems.filter((p) => p.level === 'error'));
    if (!r.policy) continue;
    const other = names.get(r.policy.name);
    if (other) errors.push({ level: 'error', file: f.name, line: undefined, field: 'name', reason: `policy ${r.policy.name} is also defined in ${other}` });
    else names.set(r.policy.name, f.name);
  }
  return errors;
}

/** The warnings of the bundle's policy files (they load, but allow more than they read as): shown when signing. */
export function bundlePolicyWarnings(files: readonly BundleFile[]): PolicyProblem[] {
  return files.filter((f) => /\.ya?ml$/i.test(f.name)).flatMap((f) => readPolicyText(f.name, f.content).problems.filter((p) => p.level === 'warning'));
}
