#!/usr/bin/env node
// `policy test` against the scans it replays, on real updates (issue 12's replay; session 5): each pair of
// scripts/generalise/detection-pairs.json (both layouts) is scanned under a policy that recognises the app and
// constrains its signers, then `policy test` under the same policy must change nothing — the replay pairs changes as
// the scan did (daemon/pipeline/pairing.ts). Uses the packages detection.ts has extracted into its cache (run it once
// first). Prints one line per pair; exits 1 if any replay differs.
//
//   npx node scripts/generalise/replay-check.ts
//
// Session 5, 24 scans (19 pairs, Squirrel layouts included): every replay 0 changes, the updates raising 0–14
// UNEXPECTED_SIGNER each. Before pairing.ts the Squirrel layouts' unchanged modules came back as new.
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { cliScanner } from './detection-scan.ts';
import { realCorpusPath } from '../lib/real-corpus.ts';

const root = resolve(import.meta.dirname, '..', '..');
const cache = join(process.env.SEALWATCH_DETECTION_CACHE ?? join(homedir(), '.cache', 'sealwatch', 'detection'), 'x');
const pairs = (JSON.parse(readFileSync(join(import.meta.dirname, 'detection-pairs.json'), 'utf8')) as { pairs: Array<{ package: string; from: string; to: string; layouts: string[] }> }).pairs;
const dirOf = (pkg: string, v: string): string => join(cache, `${pkg.replace(/^@/, '').replace('/', '-')}-${v}`);
const squirrelExe = realCorpusPath('squirrel');
const work = mkdtempSync(join(tmpdir(), 'sealwatch-replay-'));
process.once('exit', () => rmSync(work, { recursive: true, force: true }));
const policy = join(work, 'policy.yaml');
let differ = 0;
writeFileSync(policy, 'name: replay\nmatch:\n  apps: [app]\nsigners:\n  - organization: Microsoft Corporation\nseverity:\n  NEW_MODULE: critical\n  MODULE_CHANGED_SAME_VERSION: critical\n');
const P = ['--policy', policy];
for (const p of pairs) {
  for (const layout of p.layouts) {
    const a = dirOf(p.package, p.from), b = dirOf(p.package, p.to);
    if (!existsSync(a) || !existsSync(b)) { console.log('missing', p.package); continue; }
    const s = cliScanner();
    let last: { findings: Array<{ rule: string }> } = { findings: [] };
    const app = join(s.dir, 'app');
    if (layout === 'in-place') {
      cpSync(a, app, { recursive: true });
      s.scan(app, 'app', P);
      rmSync(app, { recursive: true });
      cpSync(b, app, { recursive: true });
      last = s.scan(app, 'app', P);
    } else {
      mkdirSync(app);
      copyFileSync(squirrelExe, join(app, 'Update.exe'));
      cpSync(a, join(app, `app-${p.from}`), { recursive: true });
      s.scan(app, 'app', P);
      cpSync(b, join(app, `app-${p.to}`), { recursive: true });
      last = s.scan(app, 'app', P);
    }
    const r = spawnSync(process.execPath, [join(root, 'daemon', 'main.ts'), 'policy', 'test', 'app', ...P, '--db', join(s.dir, 'h.db'), '--json'], { encoding: 'utf8', env: { ...process.env, SEALWATCH_WITNESS: join(s.dir, 'witness.json') } });
    const out = JSON.parse(r.stdout || '{}') as { changes?: number; snapshots?: Array<{ changes: unknown[] }> };
    console.log(`${p.package} ${p.from}→${p.to} ${layout}: exit ${r.status}, changes ${out.changes}; update raised ${last.findings.filter((f) => f.rule === 'UNEXPECTED_SIGNER').length} UNEXPECTED_SIGNER, ${last.findings.length} findings`, out.changes ? JSON.stringify(out.snapshots?.flatMap((x) => x.changes)).slice(0, 600) : r.stderr.slice(0, 200));
    if (r.status !== 0 || out.changes !== 0) differ++;
    rmSync(s.dir, { recursive: true, force: true });
  }
}
if (differ) {
  console.error(`${differ} replay(s) differ from their scans`);
  process.exitCode = 1;
}
