// --trust, --catalog, --system-trust and --ioc-digests as settings. Kept apart from inspect.ts so that `scan` can
// check its options and start its workers without loading the verifiers into its own thread.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { requireAdminOnlyTree } from '../shared/permissions.ts';
import { DEFAULT_TRUST_DIR } from '../config/trust-dir.ts';
import { windowsElevated } from '../shared/asset-guard.ts';
import { errorMessage, SealwatchError } from '../shared/errors.ts';
import type { VerificationSettings } from '../inventory/verification-context.ts';


/** Windows' catalog store by default on Windows; none elsewhere. */
export function defaultCatalogDirs(): string[] {
  if (process.platform !== 'win32') return [];
  const root = process.env.SystemRoot ?? 'C:\\Windows';
  return [join(root, 'System32', 'CatRoot', '{F750E6C3-38EE-11D1-85E5-00C04FC295EE}')];
}

/** Running as root / an elevated administrator: what sealwatch trusts must then be writable by admins only. */
function privileged(): boolean {
  return process.platform === 'win32' ? windowsElevated() : process.getuid?.() === 0;
}

/**
 * Every --trust and --catalog directory given must be a readable directory: a typo is a usage error (exit 2) for
 * `inspect` and `scan` alike, never a silently smaller trust store or a scan of unreadable files. Run as root, a
 * directory (or anything in it) that non-admins can change is refused: a root certificate or a catalog planted there
 * would make their own files "trusted".
 */
export function checkVerificationDirs(options: { trust: readonly string[]; catalog: readonly string[] }): void {
  for (const [flag, dirs] of [['--trust', options.trust], ['--catalog', options.catalog]] as const) {
    for (const dir of dirs) {
      let ok = false;
      try {
        ok = statSync(dir).isDirectory();
        if (ok) readdirSync(dir);
      } catch (err) {
        throw new SealwatchError('CONFIG', `${flag} ${dir}: cannot be read: ${errorMessage(err)}`);
      }
      if (!ok) throw new SealwatchError('CONFIG', `${flag} ${dir}: not a directory`);
      if (privileged()) requireAdminOnlyTree(dir, `${flag} directory`);
    }
  }
}

/** --trust, --catalog, --system-trust and --ioc-digests as settings, with the shipped roots and the OS catalogs by default. */
export function verificationSettings(options: { trust: readonly string[]; catalog: readonly string[]; systemTrust?: boolean; iocDigests?: boolean }): VerificationSettings {
  return {
    trustDirs: options.trust.length ? options.trust : [DEFAULT_TRUST_DIR],
    catalogDirs: options.catalog.length ? options.catalog : defaultCatalogDirs(),
    systemTrust: options.systemTrust ?? false,
    ...(options.iocDigests ? { iocDigests: true } : {}),
  };
}
