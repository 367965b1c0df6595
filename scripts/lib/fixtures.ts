// Synthetic fixtures built by scripts/build-fixtures.ts (recipes in scripts/fixtures/), cached outside git.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export const fixtureRecipeDir = resolve(import.meta.dirname, '..', '..', 'scripts', 'fixtures');

export function fixtureDir(): string {
  return process.env.SEALWATCH_FIXTURES ?? join(homedir(), '.cache', 'sealwatch', 'fixtures');
}

/** Path of a built fixture; throws (never skips) when `npm run fixtures` has not built it. */
export function peFixture(name: string): string {
  const path = join(fixtureDir(), 'pe', name);
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run fixtures\` first`);
  return path;
}

export function peFixtureTrustDir(): string {
  return peFixture('trust');
}

/** Path of a built Apple fixture (scripts/fixtures/build-apple-fixtures.sh). */
export function appleFixture(name: string): string {
  const path = join(fixtureDir(), 'apple', name);
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run fixtures\` first`);
  return path;
}
