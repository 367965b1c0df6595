#!/usr/bin/env node
// The README's "run something real" command: fetch the pinned vendor binaries from the npm registry and inspect
// them (plus ../shared/corpus when it sits beside the project), as a security engineer would.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { corpusCacheDir, realAppPath } from './lib/real-corpus.ts';

const root = resolve(import.meta.dirname, '..');
execFileSync(process.execPath, [join(root, 'scripts', 'fetch-real-corpus.ts'), '--npm-only'], { stdio: 'inherit' });
// the pinned vendor binaries (the whole vendor packages under apps/ are for the scan below)
const targets = readdirSync(corpusCacheDir()).filter((d) => d !== 'apps').map((d) => join(corpusCacheDir(), d));
const shared = resolve(root, '..', 'shared', 'corpus', 'pe');
if (existsSync(shared)) targets.push(shared);
console.log(`\n$ sealwatch inspect ${targets.join(' ')}\n`);
try {
  execFileSync(process.execPath, [join(root, 'daemon', 'main.ts'), 'inspect', ...targets], { stdio: 'inherit' });
} catch (err) {
  // Exit 1 means "findings" (the shared corpus holds deliberately broken files): that is the demo working.
  const status = (err as { status?: number }).status;
  if (status !== 1) process.exit(status ?? 1);
}

// Then the main job: a vendor update scanned as two versions of one app, into a fresh history database.
const db = join(mkdtempSync(join(tmpdir(), 'sealwatch-demo-')), 'sealwatch.db');
for (const id of ['node-win-22.23.2', 'node-win-22.23.3']) {
  console.log(`\n$ sealwatch scan ${realAppPath(id)} --app node --db ${db}\n`);
  execFileSync(process.execPath, [join(root, 'daemon', 'main.ts'), 'scan', realAppPath(id), '--app', 'node', '--db', db], { stdio: 'inherit' });
}
console.log(`\n$ sealwatch history node --db ${db}\n`);
execFileSync(process.execPath, [join(root, 'daemon', 'main.ts'), 'history', 'node', '--db', db], { stdio: 'inherit' });
