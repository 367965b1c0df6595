// The history commands as users run them (child processes, a real database file): scan, history, diff, findings,
// ioc and scope.
import test from 'ava';
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { jsonLines, sealwatch } from '../helpers/cli.ts';
import { realAppPath, realCorpusPath } from '../helpers/real-corpus.ts';
import { tempDir } from '../helpers/temp.ts';


test('scan → history → diff → findings → ioc → scope on a real update, through the CLI', async (t) => {
  const db = join(tempDir('sealwatch-cli-'), 'history.db');
  const first = await sealwatch(['scan', realAppPath('node-win-22.23.2'), '--app', 'node', '--db', db, '--json']);
  t.is(first.code, 0, first.stderr);
  t.like(JSON.parse(first.stdout), { app: 'node', from_version: null, to_version: '22.23.2', baseline: true });
  const second = await sealwatch(['scan', realAppPath('node-win-22.23.3'), '--app', 'node', '--db', db, '--json']);
  const report = JSON.parse(second.stdout) as { from_version: string; to_version: string; findings: Array<{ rule: string; severity: string; path: string }> };
  t.is(second.code, 0, 'nothing above medium: exit 0');
  t.like(report, { from_version: '22.23.2', to_version: '22.23.3' });
  // package.json steers the app (issue 9 §2): it changed with the version, so it is explained and listed.
  t.deepEqual(report.findings.map((f) => [f.rule, f.severity, f.path]), [['SIGNER_CHANGED', 'info', 'bin/node.exe'], ['UPDATE_EXPLAINED', 'info', null]]);

  const history = JSON.parse((await sealwatch(['history', 'node', '--db', db, '--json'])).stdout) as { snapshots: Array<{ version: string }> };
  t.deepEqual(history.snapshots.map((s) => s.version), ['22.23.2', '22.23.3']);

  const diff = JSON.parse((await sealwatch(['diff', 'node', '22.23.2', '22.23.3', '--db', db, '--json'])).stdout) as { changes: Array<{ kind: string; path: string; module: boolean; fields: string[] }> };
  t.deepEqual(diff.changes.map((c) => [c.kind, c.path, c.module]), [['changed', 'bin/node.exe', true], ['changed', 'package.json', false]]);
  t.true(diff.changes[0]?.fields.includes('signer-certificate'));
  // V1 alone: V1 and the latest; V1 the latest version with one snapshot has nothing to compare with, and says so.
  const sinceOld = JSON.parse((await sealwatch(['diff', 'node', '22.23.2', '--db', db, '--json'])).stdout) as { changes: unknown[] };
  t.is(sinceOld.changes.length, 2);
  const latest = await sealwatch(['diff', 'node', '22.23.3', '--db', db]);
  t.is(latest.code, 2);
  t.regex(latest.stderr, /22\.23\.3 is the latest snapshot of node \(\d+\) and its only one/);

  t.deepEqual(jsonLines((await sealwatch(['findings', '--db', db, '--unexplained', '--json'])).stdout), []);
  const all = await sealwatch(['findings', '--db', db, '--app', 'node', '--json']);
  t.true(jsonLines(all.stdout).length >= 2, `${all.code}: ${all.stderr}`);

  const oldNode = readFileSync(join(realAppPath('node-win-22.23.2'), 'bin', 'node.exe'));
  const sha = (await import('node:crypto')).createHash('sha256').update(oldNode).digest('hex');
  const list = join(tempDir('sealwatch-ioc-'), 'iocs.txt');
  writeFileSync(list, `# published IoCs\n${sha}\n${'0'.repeat(64)}\n`);
  const ioc = await sealwatch(['ioc', '--file', list, '--db', db, '--json']);
  t.is(ioc.code, 1, 'a hit exits 1');
  t.like(jsonLines(ioc.stdout)[0], { sha256: sha, app: 'node', path: 'bin/node.exe', first_version: '22.23.2', last_version: '22.23.2', still_present: false });
  t.is((await sealwatch(['ioc', '1'.repeat(64), '--db', db])).code, 0, 'no hit exits 0');

  const scope = jsonLines((await sealwatch(['scope', '--since', '2000-01-01', '--db', db, '--json'])).stdout);
  t.is(scope.length, 2);
  t.deepEqual(scope[1]?.changed, ['bin/node.exe', 'package.json']);
});

test('scan of a 3CX-style hidden payload exits 1 (a finding above medium)', async (t) => {
  const db = join(tempDir('sealwatch-cli-'), 'history.db');
  const app = tempDir('sealwatch-app-');
  writeFileSync(join(app, 'lib.dll'), readFileSync(realCorpusPath('conpty')));
  t.is((await sealwatch(['scan', app, '--app', 'x', '--app-version', '1', '--db', db])).code, 0);
  writeFileSync(join(app, 'lib.dll'), readFileSync(realCorpusPath('msalruntime')));
  const r = await sealwatch(['scan', app, '--app', 'x', '--app-version', '1', '--db', db]);
  t.is(r.code, 1);
  t.regex(r.stdout, /\[high\] OUT_OF_BAND_CHANGE/);
  t.is((await sealwatch(['history', 'nope', '--db', db])).code, 2, 'an unknown app is a usage error');
});

test('review: an accepted finding leaves --unexplained; unreadable files are kept in the snapshot as such', async (t) => {
  const dbDir = tempDir('sealwatch-cli-');
  const db = join(dbDir, 'history.db');
  // A witness of this test's own, so that the unprivileged run below can be given it.
  const witnessDir = tempDir('sealwatch-witness-');
  const env = { SEALWATCH_WITNESS: join(witnessDir, 'databases.json') };
  const app = tempDir('sealwatch-app-');
  writeFileSync(join(app, 'lib.dll'), readFileSync(realCorpusPath('conpty')));
  await sealwatch(['scan', app, '--app', 'x', '--app-version', '1', '--db', db], env);
  writeFileSync(join(app, 'lib.dll'), readFileSync(realCorpusPath('msalruntime')));
  writeFileSync(join(app, 'secret.bin'), 'x');
  chmodSync(join(app, 'secret.bin'), 0o000);
  // Root reads a mode-000 file, so as root this scan runs without root's read-anything capabilities (setpriv), for
  // which it is unreadable: the assertion below runs whoever runs the tests.
  const scan = await scanWithoutPrivilege(['scan', app, '--app', 'x', '--app-version', '1', '--db', db], env, join(app, 'secret.bin'));
  chmodSync(join(app, 'secret.bin'), 0o600);
  t.regex(scan.stderr, /unreadable: secret\.bin: .*permission denied/i);
  t.is(scan.code, 1, 'a high finding (the DLL changed out of band) outranks the unreadable file');
  const open = jsonLines((await sealwatch(['findings', '--db', db, '--unexplained', '--json'], env)).stdout);
  t.true(open.some((f) => f.rule === 'OUT_OF_BAND_CHANGE'));
  for (const f of open) t.is((await sealwatch(['review', String(f.id), '--state', 'accepted', '--note', 'vendor hotfix', '--db', db], env)).code, 0);
  t.deepEqual(jsonLines((await sealwatch(['findings', '--db', db, '--unexplained', '--json'], env)).stdout), []);
  t.is((await sealwatch(['review', '99999', '--state', 'accepted', '--db', db], env)).code, 2);
});

/**
 * As root: the CLI stays root but without the capabilities that let root read any file (CAP_DAC_OVERRIDE,
 * CAP_DAC_READ_SEARCH: setpriv's bounding set), and `unreadable` belongs to another user. Its own directories stay
 * usable (root owns them), and the checkout may sit in a private directory. Otherwise: as is.
 */
async function scanWithoutPrivilege(args: readonly string[], env: Readonly<Record<string, string>>, unreadable: string): Promise<{ code: number; stdout: string; stderr: string }> {
  if (process.getuid?.() !== 0) return sealwatch(args, env);
  execFileSync('chown', ['65534:65534', unreadable]);
  const main = join(resolve(import.meta.dirname, '..', '..'), 'daemon', 'main.ts');
  try {
    const { stdout, stderr } = await promisify(execFile)('setpriv', ['--bounding-set=-dac_override,-dac_read_search', '--', process.execPath, main, ...args], { maxBuffer: 64 << 20, env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('diff across snapshots that lie in between says so, with what they raised: a net 0 changes cannot hide a compromise that came and went', async (t) => {
  const db = join(tempDir('sealwatch-cli-between-'), 'history.db');
  const app = tempDir('sealwatch-cli-between-app-');
  const { copyFileSync } = await import('node:fs');
  copyFileSync(realCorpusPath('conpty'), join(app, 'conpty.dll'));
  t.is((await sealwatch(['scan', app, '--app', 'term', '--app-version', '1.0', '--db', db])).code, 0);
  copyFileSync(realCorpusPath('squirrel'), join(app, 'conpty.dll'));
  t.is((await sealwatch(['scan', app, '--app', 'term', '--app-version', '1.0', '--db', db])).code, 1, 'the swap is a high finding');
  copyFileSync(realCorpusPath('conpty'), join(app, 'conpty.dll'));
  await sealwatch(['scan', app, '--app', 'term', '--app-version', '1.0', '--db', db]);
  const human = await sealwatch(['diff', 'term', '1', '3', '--db', db]);
  t.is(human.code, 0, human.stderr);
  t.regex(human.stdout, /snapshot 1\) → 1\.0 \(snapshot 3\): 0 changes/);
  t.regex(human.stdout, /^note: 1 snapshot in between \(2–2\) is not compared here; it raised \d+ (critical|high)[^\n]* unexplained/m);
  const json = JSON.parse((await sealwatch(['diff', 'term', '1', '3', '--db', db, '--json'])).stdout) as { between?: { snapshots: number; findings: Record<string, number> } };
  t.is(json.between?.snapshots, 1);
  t.true((json.between?.findings.high ?? 0) + (json.between?.findings.critical ?? 0) >= 1);
  const adjacent = await sealwatch(['diff', 'term', '2', '3', '--db', db]);
  t.notRegex(adjacent.stdout, /^note:/m);
  // The genuine DLL was gone in snapshot 2 and came back: ioc shows the two stretches, not one unbroken one.
  const sha = (await import('node:crypto')).createHash('sha256').update(readFileSync(realCorpusPath('conpty'))).digest('hex');
  const hunt = jsonLines((await sealwatch(['ioc', sha, '--json', '--db', db])).stdout) as Array<{ periods?: Array<{ first_version: string }> }>;
  t.is(hunt[0]?.periods?.length, 2);
  t.regex((await sealwatch(['ioc', sha, '--db', db])).stdout, / 2: \S+–\S+, \S+–\S+\n$/);
});
