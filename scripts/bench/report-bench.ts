#!/usr/bin/env node
// Report benchmark (issue 13): a history of 100 apps × 20 versions (each update changes 3 modules and 2 data files;
// an explained-update finding on each, a high finding on every 7th, one critical) rendered by `sealwatch report` and
// opened in Debian's chromium (puppeteer-core). Goals: under 2 s to load and lay out, under 5 MB.
// Records are three real vendor binaries inspected once; each version's entries point at them under fresh hashes.
// Replaces its section of docs/benchmarks.md.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import puppeteer from 'puppeteer-core';
import { DEFAULT_TRUST_DIR, loadTrustStore } from '../../daemon/config/trust.ts';
import { inspectBytes } from '../../daemon/inventory/inspect-file.ts';
import { type FileRow, Store } from '../../daemon/inventory/store/store.ts';
import { buildReport } from '../../daemon/report/model.ts';
import { renderReport } from '../../daemon/report/report-page.ts';
import { type Finding } from '../../daemon/shared/findings.ts';
import { realCorpusPath } from '../lib/real-corpus.ts';
import { writeSection } from './report.ts';

const APPS = 100;
const VERSIONS = 20;
const MODULES = 10;
const DATA_FILES = 20;
const GOAL_MS = 2_000;
const GOAL_BYTES = 5 * 2 ** 20;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const work = mkdtempSync(join(tmpdir(), 'sealwatch-report-bench-'));
process.once('exit', () => rmSync(work, { recursive: true, force: true }));
const store = Store.open(join(work, 'sealwatch.db'));
const ctx = { store: loadTrustStore([DEFAULT_TRUST_DIR]), now: new Date(), signatureCache: new Map<string, boolean>() };
const records = store.putRecords(
  ['vcruntime140', 'conpty', 'pty-node'].map((id) => {
    const path = realCorpusPath(id);
    const bytes = readFileSync(path);
    return inspectBytes({ path, size: bytes.length }, bytes, ctx);
  }),
);
const hash = (s: string): string => createHash('sha256').update(s).digest('hex');

const t0 = performance.now();
const start = Date.parse('2026-01-01T00:00:00Z');
for (let a = 0; a < APPS; a++) {
  const app = store.upsertApp(`vendor-app-${String(a).padStart(3, '0')}`, `/opt/vendor-app-${a}`, `Vendor ${a % 17}`, new Date(start));
  const rows = new Map<string, FileRow>();
  for (let v = 0; v < VERSIONS; v++) {
    const changed: FileRow[] = [];
    const touch = (path: string, kind: 'module' | 'data'): void => {
      const facts = records[(a + v + path.length) % records.length];
      if (!facts) throw new Error('no record');
      const row: FileRow = kind === 'module' ? { ...facts, path, stat: `${a}:${v}`, sha256: hash(`${a}/${v}/${path}`) } : { ...facts, path, stat: `${a}:${v}`, sha256: hash(`${a}/${v}/${path}`), format: 'unknown', status: 'unsigned', signer: '' };
      rows.set(path, row);
      changed.push(row);
    };
    if (v === 0) {
      for (let m = 0; m < MODULES; m++) touch(`lib/module-${m}.dll`, 'module');
      for (let d = 0; d < DATA_FILES; d++) touch(`resources/data-${d}.json`, 'data');
    } else {
      for (let k = 0; k < 3; k++) touch(`lib/module-${(v + k * 3) % MODULES}.dll`, 'module');
      for (let k = 0; k < 2; k++) touch(`resources/data-${(v * 2 + k) % DATA_FILES}.json`, 'data');
    }
    const findings: Finding[] = v === 0
      ? [{ rule: 'BASELINE', severity: 'info', path: undefined, message: `baseline: ${MODULES} modules`, evidence: { modules: MODULES }, explained: true }]
      : [
          { rule: 'UPDATE_EXPLAINED', severity: 'info', path: undefined, message: 'the update accounts for 5 changes', evidence: { changed: changed.map((c) => c.path) }, explained: true },
          ...((a * VERSIONS + v) % 7 === 0 ? [{ rule: 'MODULE_CHANGED_SAME_VERSION', severity: 'high', path: changed[0]?.path, message: `${changed[0]?.path}: content changed but its own version is still 10.0.1`, evidence: { before: { version: '10.0.1' }, after: { version: '10.0.1' } }, explained: false } as const] : []),
          ...(a === 42 && v === 12 ? [{ rule: 'UNAUTHENTICATED_DATA', severity: 'critical', path: changed[1]?.path, message: 'data hidden after the signature', evidence: { bytes: 4105 }, explained: false } as const] : []),
        ];
    store.commitScan({ appId: app.id, previousSnapshotId: store.latestSnapshot(app.id)?.id, version: `${1 + Math.floor(v / 10)}.${v % 10}.${a}`, versionSource: 'bench', takenAt: new Date(start + (v * 7 + (a % 5)) * 86_400_000), trigger: v % 3 === 0 ? 'schedule' : 'watch', root: `/opt/vendor-app-${a}`, changed, removed: [], findings });
  }
}
const buildMs = performance.now() - t0;

const t1 = performance.now();
const html = renderReport(buildReport(store, { now: new Date() }));
const renderMs = performance.now() - t1;
const file = join(work, 'report.html');
writeFileSync(file, html);
const bytes = statSync(file).size;
console.error(`report-bench: ${file}`);
store.close();

/**
 * CPU seconds used so far by a process and all its descendants (/proc, clock ticks of 1/100 s): what rendering cost,
 * whatever else the machine is doing (the wall-clock time of a shared CI machine says more about its neighbours).
 */
function treeCpuMs(root: number): number {
  const procs = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).flatMap((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return [{ pid: Number(pid), ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) }];
    } catch {
      return []; // gone meanwhile
    }
  });
  const inTree = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of procs) if (!inTree.has(p.pid) && inTree.has(p.ppid)) (inTree.add(p.pid), (grew = true));
  }
  return procs.filter((p) => inTree.has(p.pid)).reduce((n, p) => n + p.ticks, 0) * 10;
}

const browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
const loads: number[] = [];
const cpus: number[] = [];
const browserPid = browser.process()?.pid;
if (browserPid === undefined) throw new Error('chromium has no process id');
try {
  for (let i = 0; i < 3; i++) {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 1000 });
    const t = performance.now();
    const c = treeCpuMs(browserPid);
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    // One frame after load: style and layout of what is on screen are done.
    await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
    loads.push(performance.now() - t);
    cpus.push(treeCpuMs(browserPid) - c);
    const findings = (await page.evaluate("document.querySelectorAll('li.finding').length")) as number;
    if (findings === 0) throw new Error('the benchmark report shows no findings');
    await page.close();
  }
} finally {
  await browser.close();
}
const median = [...loads].sort((x, y) => x - y)[1] ?? Number.NaN;
const cpu = [...cpus].sort((x, y) => x - y)[1] ?? Number.NaN;
const load = loadavg()[0] ?? 0;
// The goal is judged on CPU time (all of chromium's processes: an upper bound of one core's work), which a busy
// machine does not inflate; the wall-clock time is shown beside it with the machine's load.
const ok = cpu < GOAL_MS && bytes < GOAL_BYTES;
const mb = (n: number): string => (n / 2 ** 20).toFixed(2);
const body = `## Report (issue 13): ${APPS} apps × ${VERSIONS} versions in Chromium

\`scripts/bench/report-bench.ts\`, ${new Date().toISOString().slice(0, 10)}: ${APPS * VERSIONS} snapshots, ${APPS * (VERSIONS - 1)} updates of 5 changed files each, real module records; opened in Debian's chromium (headless, puppeteer-core), from navigation to load plus two animation frames, median of 3. The goal is judged on the CPU time chromium spent (a shared machine inflates wall-clock time, not work).

| measure | result | goal |
| --- | --- | --- |
| report file size | ${mb(bytes)} MiB | < 5 MiB |
| load and first layout in Chromium: CPU time of all its processes | ${Math.round(cpu)} ms (runs: ${cpus.map((l) => Math.round(l)).join(', ')} ms) | < 2,000 ms |
| the same, wall-clock (load average ${load.toFixed(1)} on ${availableParallelism()} cores) | ${Math.round(median)} ms (runs: ${loads.map((l) => Math.round(l)).join(', ')} ms) | — |
| building the page in Node (reading the history, rendering) | ${Math.round(renderMs)} ms | — |
| writing the synthetic history (not part of the report) | ${Math.round(buildMs)} ms | — |

Each update is a closed \`<details>\` unless it has a finding above info, and apps off screen are not laid out (\`content-visibility: auto\`): the browser parses the whole page but lays out only what is shown.`;
if (!process.argv.includes('--no-write')) writeSection('report', body);
console.log(body);
if (!ok) {
  console.error(`report-bench: goal missed (${Math.round(cpu)} ms CPU, ${mb(bytes)} MiB)`);
  process.exitCode = 1;
}
