// Where the shipped trust anchors are, without loading the trust-store code (start-up of commands that verify nothing).
import { readdirSync } from 'node:fs';
import { SealwatchError, errorMessage } from '../shared/errors.ts';
import { assetPath } from '../shared/assets.ts';

export const DEFAULT_TRUST_DIR = assetPath('config', 'trust');

/** Fails now, as a configuration error, when a trust directory cannot be listed (what a lazy store would find later). */
export function checkTrustDirs(roots: readonly string[]): void {
  for (const root of roots) {
    try {
      readdirSync(root);
    } catch (err) {
      throw new SealwatchError('CONFIG', `trust store directory ${root} cannot be read: ${errorMessage(err)}`, { cause: err, file: root });
    }
  }
}
