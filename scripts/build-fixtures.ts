#!/usr/bin/env node
// Builds the synthetic fixtures (scripts/fixtures/*.sh) into a cache outside git, rebuilding only when the recipes
// change. Tests and the demo read them through scripts/lib/fixtures.ts.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureDir, fixtureRecipeDir } from './lib/fixtures.ts';

const recipes = readdirSync(fixtureRecipeDir).sort();
const hash = createHash('sha256');
for (const f of recipes) hash.update(f).update(readFileSync(join(fixtureRecipeDir, f)));
const stamp = hash.digest('hex');
const dir = fixtureDir();
const stampFile = join(dir, '.recipe-sha256');
if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) {
  console.log(`fixtures up to date in ${dir}`);
} else {
  const tmp = `${dir}.building-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  try {
    execFileSync('bash', [join(fixtureRecipeDir, 'build-pe-fixtures.sh'), join(tmp, 'pe')], { stdio: 'inherit' });
    execFileSync('bash', [join(fixtureRecipeDir, 'build-apple-fixtures.sh'), join(tmp, 'apple')], { stdio: 'inherit' });
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  writeFileSync(join(tmp, '.recipe-sha256'), stamp);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  console.log(`fixtures built in ${dir}`);
}
