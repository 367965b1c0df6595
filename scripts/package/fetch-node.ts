// Fetches a pinned Node binary from the npm registry with npm itself (`npm pack`, the user's npm configuration and
// cache), checks the tarball's SHA-512 against the pin, and extracts the one binary. Kept in a cache directory.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const NODE_CACHE = process.env.SEALWATCH_NODE_CACHE ?? join(homedir(), '.cache', 'sealwatch', 'node-dist');

const integrityOf = (file: string): string => `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`;

/** The path of `binary` (a path inside the tarball) from `name@version`: fetched once, checked every time. */
export function nodeBinary(name: string, version: string, integrity: string, binary: string): string {
  const dir = join(NODE_CACHE, `${name}-${version}`);
  const out = join(dir, binary.split('/').pop() ?? 'node');
  mkdirSync(dir, { recursive: true });
  const tarball = join(dir, `${name}-${version}.tgz`);
  if (!existsSync(tarball)) {
    const packed = execFileSync('npm', ['pack', `${name}@${version}`, '--pack-destination', dir, '--silent'], { encoding: 'utf8' }).trim().split('\n').pop() ?? '';
    if (join(dir, packed) !== tarball) renameSync(join(dir, packed), tarball);
  }
  const got = integrityOf(tarball);
  if (got !== integrity) throw new Error(`${tarball}: integrity ${got} is not the pinned ${integrity} (${name}@${version})`);
  // Extracted again from the checked tarball every time: the cached binary is never trusted by itself.
  execFileSync('tar', ['-xzf', tarball, '-C', dir, '--strip-components', String(binary.split('/').length - 1), binary]);
  chmodSync(out, 0o755);
  return out;
}
