#!/usr/bin/env node
// Speed against the tools sealwatch replaces (issue 8 §3), every run a whole process of the compiled package (dist/,
// what an installed `sealwatch` runs), back to back on the same files:
//  - baseline `scan` of the real vendor tree vs `aide --init`   (goal: ≥ 2.5× faster)
//  - no-change rescan vs `aide --check`                         (goal: ≥ 15× faster)
//  - `inspect --json` of the real PE set vs an `osslsigncode verify` loop (goal: faster)
//  - start-up of commands that verify nothing                   (goal: < 150 ms)
//  - the cost of `--ioc-digests` (SHA-1 + MD5 of every file) on the baseline
//  - the floor of a baseline (floor-scan.ts: read and digest only), which shows what the baseline goal leaves for the rest
// Medians of BENCH_RUNS (default 3). Replaces its section of docs/benchmarks.md with each ratio against its goal.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { allPeFiles } from '../lib/pe-files.ts';
import { corpusCacheDir, realAppEntries, realAppPath } from '../lib/real-corpus.ts';
import { writeSection } from './report.ts';
import { runTool } from './tool.ts';

const root = resolve(import.meta.dirname, '..', '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const time = (fn: () => unknown): number => {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
};

if (spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'ignore', shell: process.platform === 'win32' }).status !== 0) throw new Error('npm run build failed');
const entry = join(root, 'dist', 'main.js');
const work = mkdtempSync(join(tmpdir(), 'sealwatch-speed-'));
const env = { ...process.env, SEALWATCH_WITNESS: join(work, 'witness.json'), NO_COLOR: '1' };
/** One sealwatch process; 0 and 1 (findings or files with hidden data) are success, anything else fails the bench. */
const sealwatch = (args: readonly string[], extraEnv: Record<string, string> = {}): number =>
  time(() => runTool(process.execPath, [entry, ...args], [0, 1], { env: { ...env, ...extraEnv }, stdio: ['ignore', 'ignore', 'pipe'] }));

// The tree scan-bench.ts uses: the real vendor packages and binaries of test/corpus/REAL.md as one app.
const tree = join(work, 'app');
mkdirSync(tree);
for (const a of realAppEntries()) cpSync(realAppPath(a.id), join(tree, a.id), { recursive: true });
for (const d of readdirSync(corpusCacheDir())) if (d !== 'apps') cpSync(join(corpusCacheDir(), d), join(tree, 'bin', d), { recursive: true });
const treeFiles = execFileSync('find', [tree, '-type', 'f'], { encoding: 'utf8' }).trim().split('\n');
const treeMiB = treeFiles.reduce((n, f) => n + statSync(f).size, 0) / 2 ** 20;
execFileSync('cat', treeFiles, { stdio: 'ignore', maxBuffer: 1 << 30 }); // same page cache for everyone

const aideConf = join(work, 'aide.conf');
writeFileSync(aideConf, `database_in=file:${work}/aide.db\ndatabase_out=file:${work}/aide.db.new\ngzip_dbout=no\nR = p+i+n+u+g+s+m+c+sha256\n${tree} R\n`);

const loadBefore = loadavg()[0] ?? NaN;
/**
 * CPU time (user + system) of one process and its threads, through /usr/bin/time when it is there: on a machine
 * shared with other work, wall time depends on what else runs, CPU time much less. NaN without /usr/bin/time.
 */
const TIME = '/usr/bin/time';
const hasTime = spawnSync(TIME, ['-f', '%U', 'true']).status === 0;
const cpuMs = (cmd: string, args: readonly string[], ok: readonly number[], options: Parameters<typeof runTool>[3] = {}): number => {
  if (!hasTime) return NaN;
  const r = runTool(TIME, ['-f', 'cpu %U %S', cmd, ...args], ok, options);
  const c = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr);
  return c ? (Number(c[1]) + Number(c[2])) * 1000 : NaN;
};
const floorScript = join(root, 'scripts', 'bench', 'floor-scan.ts');
const cpu: Record<string, number[]> = { baseline: [], aideInit: [], floor: [] };
const m: Record<string, number[]> = { baseline: [], rescan: [], iocBaseline: [], aideInit: [], aideCheck: [], floor: [] };
for (let run = 0; run < RUNS; run++) {
  const db = join(work, `s${run}.db`);
  m.baseline?.push(sealwatch(['scan', tree, '--app', 'bench', '--db', db, '--json'], { SEALWATCH_WITNESS: join(work, `w${run}.json`) }));
  m.rescan?.push(sealwatch(['scan', tree, '--app', 'bench', '--db', db, '--json'], { SEALWATCH_WITNESS: join(work, `w${run}.json`) }));
  const iocDb = join(work, `i${run}.db`);
  m.iocBaseline?.push(sealwatch(['scan', tree, '--app', 'bench', '--db', iocDb, '--json', '--ioc-digests'], { SEALWATCH_WITNESS: join(work, `iw${run}.json`) }));
  // Exit statuses are checked (runTool throws): --init must succeed, --check must find nothing changed (0).
  m.aideInit?.push(time(() => runTool('aide', ['--config', aideConf, '--init'])));
  m.floor?.push(time(() => runTool(process.execPath, [floorScript, tree], [0])));
  // CPU of one more baseline and aide --init each (separate runs: /usr/bin/time adds a process to the wall time).
  const cpuDb = join(work, `c${run}.db`);
  cpu.baseline?.push(cpuMs(process.execPath, [entry, 'scan', tree, '--app', 'bench', '--db', cpuDb, '--json'], [0, 1], { env: { ...env, SEALWATCH_WITNESS: join(work, `cw${run}.json`) }, stdio: ['ignore', 'ignore', 'pipe'] }));
  cpu.aideInit?.push(cpuMs('aide', ['--config', aideConf, '--init'], [0]));
  cpu.floor?.push(cpuMs(process.execPath, [floorScript, tree], [0]));
  cpSync(join(work, 'aide.db.new'), join(work, 'aide.db'));
  m.aideCheck?.push(time(() => runTool('aide', ['--config', aideConf, '--check'])));
}

// Inspect: the PE set inspect-bench.ts uses, against one osslsigncode process per file (statuses as first seen).
const pes = allPeFiles().filter((f) => statSync(f).size > 1024);
const peMiB = pes.reduce((n, f) => n + statSync(f).size, 0) / 2 ** 20;
const osslArgs = (f: string): string[] => ['verify', '-ignore-crl', '-CAfile', join(root, 'config/trust/microsoft/cacert.pem'), '-in', f];
const osslExpected = new Map(pes.map((f) => [f, runTool('osslsigncode', osslArgs(f), [0, 1]).status]));
const inspectMs: number[] = [];
const osslMs: number[] = [];
for (let run = 0; run < RUNS; run++) {
  inspectMs.push(sealwatch(['inspect', '--json', ...pes]));
  osslMs.push(time(() => pes.forEach((f) => runTool('osslsigncode', osslArgs(f), [osslExpected.get(f) ?? 0]))));
}

// Start-up: commands that verify nothing, on the database of the first baseline.
const db0 = join(work, 's0.db');
const anySha = execFileSync('sha256sum', [treeFiles[0] ?? ''], { encoding: 'utf8' }).slice(0, 64);
const startup: Array<[string, string[]]> = [
  ['--version', ['--version']],
  ['history', ['history', 'bench', '--db', db0]],
  ['findings', ['findings', '--db', db0]],
  ['ioc', ['ioc', anySha, '--db', db0]],
];
const STARTUP_RUNS = Math.max(RUNS, 7);
const startupMs = startup.map(([name, args]) => {
  const w0 = { SEALWATCH_WITNESS: join(work, 'w0.json') };
  return [name, median(Array.from({ length: STARTUP_RUNS }, () => sealwatch(args, w0)))] as const;
});
rmSync(work, { recursive: true, force: true });

const med = Object.fromEntries(Object.entries(m).map(([k, v]) => [k, median(v)])) as Record<string, number>;
const s = (ms: number): string => (ms / 1000).toFixed(2);
const faster = (ref: number, ours: number): number => ref / ours;
const verdict = (ok: boolean): string => (ok ? 'met' : '**missed**');
const baselineX = faster(med.aideInit ?? NaN, med.baseline ?? NaN);
const rescanX = faster(med.aideCheck ?? NaN, med.rescan ?? NaN);
const inspectX = faster(median(osslMs), median(inspectMs));
const goalWall = (med.aideInit ?? NaN) / 2.5;
const report = `
## Speed against the tools it replaces (issue 8 §3): whole processes of the compiled package

Run by \`npm run bench\` (scripts/bench/speed-bench.ts), ${new Date().toISOString().slice(0, 16)}Z, ${cpus().length} cores, load average
before the run ${loadBefore.toFixed(2)}, after it ${loadavg()[0]?.toFixed(2)}; medians of ${RUNS} runs, each sealwatch run a new process (\`node dist/main.js\`, start-up,
trust store and worker start-up included), default workers. Tree: ${treeFiles.length} files, ${treeMiB.toFixed(0)} MiB (the REAL.md vendor
packages and binaries). Inspect: ${pes.length} PE files, ${peMiB.toFixed(0)} MiB. Default digests: SHA-256 of every file, the
SHA-256 image digest of every PE, and whatever digest a signature uses (SHA-1 image digest for SHA-1 signatures);
\`--ioc-digests\` adds SHA-1 and MD5 of every file and the SHA-1 image digest.

| what | sealwatch s | reference s | sealwatch faster by | goal | |
|---|---|---|---|---|---|
| baseline \`scan\` vs \`aide --init\` (SHA-256) | ${s(med.baseline ?? NaN)} | ${s(med.aideInit ?? NaN)} | ${baselineX.toFixed(2)}× | ≥ 2.5× | ${verdict(baselineX >= 2.5)} |
| no-change rescan vs \`aide --check\` | ${s(med.rescan ?? NaN)} | ${s(med.aideCheck ?? NaN)} | ${rescanX.toFixed(1)}× | ≥ 15× | ${verdict(rescanX >= 15)} |
| \`inspect --json\` vs \`osslsigncode verify\` per file | ${s(median(inspectMs))} | ${s(median(osslMs))} | ${inspectX.toFixed(2)}× | > 1× | ${verdict(inspectX > 1)} |
| baseline \`scan --ioc-digests\` vs \`aide --init\` | ${s(med.iocBaseline ?? NaN)} | ${s(med.aideInit ?? NaN)} | ${faster(med.aideInit ?? NaN, med.iocBaseline ?? NaN).toFixed(2)}× | (option) | costs ${(((med.iocBaseline ?? 0) / (med.baseline ?? 1) - 1) * 100).toFixed(0)}% over the default baseline |

CPU time (user + system, all threads; median of ${RUNS}, separate runs): baseline \`scan\` ${s(median(cpu.baseline ?? []))} s,
\`aide --init\` ${s(median(cpu.aideInit ?? []))} s. On 2 cores a process can finish in half its CPU time at best, so the
baseline goal needs the scan's CPU time at most ${((2 * median(cpu.aideInit ?? [])) / 2.5 / 1000).toFixed(2)} s here (2 × aide's / 2.5: aide is single-threaded, its
wall time is its CPU time on an idle machine).

The floor (scripts/bench/floor-scan.ts: the same walk and workers, every file read once, and only the digests a
default baseline cannot skip — SHA-256 of every file, one more SHA-256 pass over each PE and each signed Mach-O — with
no parsing, verifying, records or database): ${s(med.floor ?? NaN)} s (CPU ${s(median(cpu.floor ?? []))} s), ${faster(med.aideInit ?? NaN, med.floor ?? NaN).toFixed(2)}× faster than \`aide --init\`.
The goal needs the baseline in ${s(goalWall)} s, which leaves ${s(goalWall - (med.floor ?? NaN))} s over the floor for start-up of the scanner and
database, parsing, verifying every signature and chain, detection and storing; sealwatch takes ${s((med.baseline ?? NaN) - (med.floor ?? NaN))} s for them.

Start-up of commands that verify nothing (median of ${STARTUP_RUNS}; goal < 150 ms):

| command | ms | |
|---|---|---|
${startupMs.map(([name, ms]) => `| \`${name}\` | ${ms.toFixed(0)} | ${verdict(ms < 150)} |`).join('\n')}
`;
writeSection('speed', report);
console.log(report);
