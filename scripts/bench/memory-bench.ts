#!/usr/bin/env node
// Memory and database growth of a 100,000-file app (issue 7 §3): peak RSS of a baseline scan and of a rescan with
// one file changed, each in a fresh process (the CLI's code path), and what a snapshot with nothing changed adds to
// the database. Goals: ≤ 300 MB, ≤ 150 MB, ≤ 1 MB. Replaces its section of docs/benchmarks.md.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeSection } from './report.ts';

const root = resolve(import.meta.dirname, '..', '..');
const N = 100_000;
// The compiled package is what runs installed; type stripping alone costs ~17 MB per thread.
if (spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'ignore', shell: process.platform === 'win32' }).status !== 0) throw new Error('npm run build failed');
const work = mkdtempSync(join(tmpdir(), 'sealwatch-mem-'));
const app = join(work, 'app');
for (let d = 0; d < 500; d++) mkdirSync(join(app, `d${d}`), { recursive: true });
for (let i = 0; i < N; i++) writeFileSync(join(app, `d${i % 500}`, `f${i}.js`), `module.exports = ${i};\n`);
const db = join(work, 'h.db');
const env = { ...process.env, SEALWATCH_WITNESS: join(work, 'witness.json') };

function run(label: string, nodeOptions = ''): { ms: number; rssMiB: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'bench', 'memory-child.ts'), 'scan', app, '--app', 'many', '--app-version', '1', '--db', db], { env: { ...env, NODE_OPTIONS: nodeOptions }, encoding: 'utf8', maxBuffer: 1 << 26 });
  const ms = performance.now() - t0;
  const m = /maxrss_kib=(\d+)/.exec(r.stderr ?? '');
  if (r.status === null || r.status > 1 || !m) throw new Error(`${label}: scan failed (status ${r.status}): ${r.stderr?.slice(-2000)}`);
  return { ms, rssMiB: Number(m[1]) / 1024 };
}
const dbSize = (): number => {
  const raw = new DatabaseSync(db);
  raw.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  raw.close();
  return statSync(db).size;
};

const baseline = run('baseline');
const afterBaseline = dbSize();
writeFileSync(join(app, 'd1', 'f1.js'), 'changed');
const rescan = run('rescan');
const afterRescan = dbSize();
const unchanged = run('unchanged');
const growth = dbSize() - afterRescan;
writeFileSync(join(app, 'd2', 'f2.js'), 'changed');
const smallYoung = run('rescan, --max-semi-space-size=2', '--max-semi-space-size=2');
rmSync(work, { recursive: true, force: true });

const ok = (v: number, goal: number): string => (v <= goal ? 'met' : '**missed**');
const report = `
## Memory and database growth: a ${N.toLocaleString('en')}-file app (500 folders of small files)

Run by \`npm run bench\` (scripts/bench/memory-bench.ts), ${new Date().toISOString().slice(0, 10)}; each scan a fresh process running the compiled package (dist/), default workers (2 here).

| what | measured | goal | |
|---|---|---|---|
| baseline scan: peak RSS | ${baseline.rssMiB.toFixed(0)} MiB (${(baseline.ms / 1000).toFixed(1)} s) | ≤ 300 MB | ${ok(baseline.rssMiB * 1.048576, 300)} |
| rescan, one file changed: peak RSS | ${rescan.rssMiB.toFixed(0)} MiB (${(rescan.ms / 1000).toFixed(1)} s) | ≤ 150 MB | ${ok(rescan.rssMiB * 1.048576, 150)} |
| database after the baseline | ${(afterBaseline / 2 ** 20).toFixed(1)} MiB | | |
| rescan, one file changed, \`NODE_OPTIONS=--max-semi-space-size=2\` | ${smallYoung.rssMiB.toFixed(0)} MiB (${(smallYoung.ms / 1000).toFixed(1)} s) | ≤ 150 MB | ${ok(smallYoung.rssMiB * 1.048576, 150)} |
| rescan, nothing changed (no worker starts): peak RSS | ${unchanged.rssMiB.toFixed(0)} MiB | | |
| a snapshot with nothing changed adds | ${(growth / 1024).toFixed(0)} KiB (${(unchanged.ms / 1000).toFixed(1)} s) | ≤ 1 MB | ${ok(growth, 1_000_000)} |
`;
writeSection('memory', report);
console.log(report);
