#!/usr/bin/env node
// The README's "run something real" command: fetch the pinned vendor binaries from the npm registry and inspect
// them (plus ../shared/corpus when it sits beside the project), as a security engineer would.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { corpusCacheDir } from '../test/helpers/real-corpus.ts';

const root = resolve(import.meta.dirname, '..');
execFileSync(process.execPath, [join(root, 'scripts', 'fetch-real-corpus.ts'), '--npm-only'], { stdio: 'inherit' });
const targets = [corpusCacheDir()];
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
