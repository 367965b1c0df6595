// An accepted bundle on disk: DIR/current/{policies,manifests}/NAME and DIR/current/bundle.json (the signed envelope,
// for audit). Written to a staging directory first and swapped in by rename, so a reader sees the old bundle or the
// new one, never half of one. Files are written with fixed modes (0644 in 0755 directories): the config loader refuses
// a policy path non-admins can write.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatProblem } from '../policy/types.ts';
import { type BundleEnvelope, BundleRejected } from './envelope.ts';
import { bundlePolicyErrors } from './policy-check.ts';
import { makeDirs } from '../shared/make-dirs.ts';

export const currentDir = (dir: string): string => join(dir, 'current');
export const bundlePoliciesDir = (dir: string): string => join(currentDir(dir), 'policies');
export const bundleManifestsDir = (dir: string): string => join(currentDir(dir), 'manifests');

export function installBundle(env: BundleEnvelope, dir: string): void {
  makeDirs(dir, 0o755);
  const staging = join(dir, `staging-${env.payload.version}-${randomBytes(4).toString('hex')}`);
  try {
    for (const [sub, files] of [['policies', env.payload.policies], ['manifests', env.payload.manifests]] as const) {
      mkdirSync(join(staging, sub), { recursive: true, mode: 0o755 });
      for (const f of files) writeFileSync(join(staging, sub, f.name), f.content, { mode: 0o644, flag: 'wx' });
    }
    writeFileSync(join(staging, 'bundle.json'), `${JSON.stringify(env, null, 2)}\n`, { mode: 0o644 });
    // A signed bundle whose policies do not load would stop the daemon at its next start: refused here instead.
    const errors = bundlePolicyErrors(env.payload.policies);
    if (errors.length) throw new BundleRejected('malformed', 'its policies do not load:', errors.map(formatProblem));
    const current = currentDir(dir);
    const old = join(dir, `old-${randomBytes(4).toString('hex')}`);
    if (existsSync(current)) renameSync(current, old);
    renameSync(staging, current);
    rmSync(old, { recursive: true, force: true });
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
