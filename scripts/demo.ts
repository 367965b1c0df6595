#!/usr/bin/env node
// The README's "run something real" command: fetch the pinned vendor binaries from the npm registry and inspect
// them (with the project's own test corpus, test/corpus/pe), as a security engineer would; scan a real vendor update
// into a history; then apply a 3CX-shaped compromise to an app and show the critical and high findings it raises.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEFAULT_TRUST_DIR } from '../daemon/config/trust.ts';
import { corpusCacheDir, realAppPath, sharedCorpus } from './lib/real-corpus.ts';
import { threeCxTrust, writeThreeCxApp } from './lib/three-cx.ts';

const root = resolve(import.meta.dirname, '..');
const main = join(root, 'daemon', 'main.ts');
/** Runs sealwatch as a user would, its output on this terminal; returns its exit code. */
function sealwatch(args: readonly string[]): number {
  console.log(`\n$ sealwatch ${args.join(' ')}\n`);
  const r = spawnSync(process.execPath, [main, ...args], { stdio: 'inherit' });
  return r.status ?? 1;
}
function mustBe(code: number, allowed: readonly number[], what: string): void {
  if (!allowed.includes(code)) {
    console.error(`demo: ${what} exited with ${code}`);
    process.exit(code || 1);
  }
}

execFileSync(process.execPath, [join(root, 'scripts', 'fetch-real-corpus.ts'), '--npm-only'], { stdio: 'inherit' });
// the pinned vendor binaries (the whole vendor packages under apps/ are for the scan below), and the test corpus
const targets = readdirSync(corpusCacheDir()).filter((d) => d !== 'apps').map((d) => join(corpusCacheDir(), d));
targets.push(join(sharedCorpus, 'pe'));
// Exit 1 means "findings" (the test corpus holds deliberately broken files): that is the demo working.
mustBe(sealwatch(['inspect', ...targets]), [0, 1], 'inspect');

// Then the main job: a vendor update scanned as two versions of one app, into a fresh history database.
const db = join(mkdtempSync(join(tmpdir(), 'sealwatch-demo-')), 'sealwatch.db');
for (const id of ['node-win-22.23.2', 'node-win-22.23.3']) mustBe(sealwatch(['scan', realAppPath(id), '--app', 'node', '--db', db]), [0], `scan of ${id}`);
mustBe(sealwatch(['history', 'node', '--db', db]), [0], 'history');

// And an attack: a 3CX-shaped update of "contoso-desktop" built from real signed binaries and the signed fixtures
// (which need the Debian tools of scripts/install-test-deps.sh: installed here when one is missing).
console.log('\n# A 3CX-shaped update: every module still validly signed, yet…');
if (spawnSync('dpkg', ['--version'], { stdio: 'ignore' }).status !== 0) {
  console.log('(skipped: building the signed fixtures needs Debian tools — mingw-w64, osslsigncode, clang, lld; see scripts/install-test-deps.sh)');
  process.exit(0);
}
execFileSync('bash', [join(root, 'scripts', 'install-test-deps.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
execFileSync(process.execPath, [join(root, 'scripts', 'build-fixtures.ts')], { stdio: 'inherit' });
const work = mkdtempSync(join(tmpdir(), 'sealwatch-demo-3cx-'));
// the two app trees are large (real vendor binaries); only the small history database is left for the reader
process.once('exit', () => rmSync(work, { recursive: true, force: true }));
const [v1, v2] = [join(work, '18.12.407'), join(work, '18.12.416')];
await writeThreeCxApp(v1, v2);
// The vendor's (test) PKI and Apple test PKI beside the shipped roots, as a user adds a private CA with --trust.
const trust = [DEFAULT_TRUST_DIR, ...threeCxTrust()].flatMap((d) => ['--trust', d]);
mustBe(sealwatch(['scan', v1, '--app', 'contoso', '--db', db, ...trust]), [0], 'baseline scan of contoso 18.12.407');
mustBe(sealwatch(['scan', v2, '--app', 'contoso', '--db', db, ...trust]), [1], 'scan of the compromised contoso 18.12.416');

// What a responder reads first: the critical and high findings of that update.
const out = execFileSync(process.execPath, [main, 'findings', '--app', 'contoso', '--unexplained', '--json', '--db', db], { encoding: 'utf8' });
const caught = out
  .trim()
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l) as { rule: string; severity: string; path: string | null; message: string })
  .filter((f) => f.severity === 'critical' || f.severity === 'high');
console.log(`\n# Caught: ${caught.filter((f) => f.severity === 'critical').length} critical and ${caught.filter((f) => f.severity === 'high').length} high findings\n`);
for (const f of caught.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'critical' ? -1 : 1))) {
  console.log(`  [${f.severity}] ${f.rule}  ${f.path ?? ''}`);
}
if (!caught.some((f) => f.severity === 'critical' && f.rule === 'UNAUTHENTICATED_DATA')) {
  console.error('demo: the payload hidden in the Microsoft-signed DLL was not reported as critical');
  process.exit(1);
}
console.log(`\nThe history is kept in ${db}; try: sealwatch findings --app contoso --db ${db}`);
