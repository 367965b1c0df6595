// Output for people and for programs (issue 8 §2), through the real CLI: tables sorted by severity with a summary,
// untrusted names made inert on the terminal and exact in JSON, colour and a progress bar on a terminal only (a real
// pseudo-terminal from `script`), EPIPE into `head`, and every bad input a usage error (exit 2) that says why.
import test from 'ava';
import { execFile } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';
import { jsonLines, sealwatch } from '../helpers/cli.ts';
import { peFixture } from '../helpers/fixtures.ts';
import { realCorpusPath } from '../helpers/real-corpus.ts';
import { tempDir } from '../helpers/temp.ts';

const main = join(resolve(import.meta.dirname, '..', '..'), 'daemon', 'main.ts');
const witness = join(tempDir('sealwatch-witness-'), 'databases.json');
const tmp = (prefix: string): string => tempDir(`sealwatch-${prefix}-`);
const q = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;
/** The CLI as a shell command line (for pipes and the pseudo-terminal). */
const cli = (args: readonly string[]): string => [process.execPath, main, ...args].map(q).join(' ');

/** Runs `command` in bash; stdout and stderr as they came out. */
async function bash(command: string, env: Readonly<Record<string, string>> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)('bash', ['-c', command], { maxBuffer: 64 << 20, env: { ...process.env, SEALWATCH_WITNESS: witness, ...env } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Runs `command` with its stdout and stderr on a pseudo-terminal (util-linux `script`); returns what the terminal got. */
const onTerminal = (command: string, env: Readonly<Record<string, string>> = {}) => bash(`script -qec ${q(command)} /dev/null`, env);

// A DLL whose name tries to erase the line it is printed on and repaint it as harmless, and one with a bidi override.
const EVIL = 'lib\x1b[2K\r  [info] fine.dll';
const EVIL_ESCAPED = 'lib\\x1b[2K\\r  [info] fine.dll';
const BIDI = 'report\u202egpj.exe';

/** An app whose evil-named DLL changes under the same version: high, medium and info findings on it. */
async function evilHistory(scanOptions: readonly string[] = []): Promise<{ db: string; app: string; scan: { code: number; stdout: string; stderr: string } }> {
  const db = join(tmp('out'), 'history.db');
  const app = tmp('app');
  copyFileSync(realCorpusPath('conpty'), join(app, EVIL));
  copyFileSync(peFixture('unsigned.exe'), join(app, BIDI));
  const first = await sealwatch(['scan', app, '--app', 'evil', '--app-version', '1', '--db', db, ...scanOptions]);
  if (first.code !== 0) throw new Error(first.stderr);
  copyFileSync(realCorpusPath('msalruntime'), join(app, EVIL));
  const scan = await sealwatch(['scan', app, '--app', 'evil', '--app-version', '1', '--db', db, ...scanOptions]);
  return { db, app, scan };
}

const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

test('untrusted file names cannot act on the terminal: escaped in every human output, exact in JSON', async (t) => {
  const { db, app, scan } = await evilHistory();
  t.is(scan.code, 1, scan.stderr);
  t.notRegex(scan.stdout, RAW_CONTROL, 'scan: no raw control or bidi characters');
  const lines = scan.stdout.trim().split('\n');
  t.is(lines[1], `4 findings: 2 high, 1 medium, 1 info — most severe: high OUT_OF_BAND_CHANGE ${EVIL_ESCAPED}`, 'the summary line comes first and names the top finding');
  t.deepEqual(lines.slice(2).map((l) => /\[(\w+)\]/.exec(l)?.[1]), ['high', 'high', 'medium', 'info'], 'most severe first');
  t.true(lines[2]?.startsWith(`  [high] OUT_OF_BAND_CHANGE: ${EVIL_ESCAPED}: `), lines[2]);

  const findings = await sealwatch(['findings', '--db', db]);
  t.notRegex(findings.stdout, RAW_CONTROL);
  t.regex(findings.stdout, /OUT_OF_BAND_CHANGE +open +lib\\x1b\[2K\\r {2}\[info\] fine\.dll/);
  const inspect = await sealwatch(['inspect', app]);
  t.notRegex(inspect.stdout, RAW_CONTROL);
  t.true(inspect.stdout.includes(EVIL_ESCAPED));
  t.true(inspect.stdout.includes('report\\u202egpj.exe'));
  for (const args of [['diff', 'evil'], ['scope', '--since', '2000-01-01'], ['history', 'evil']]) {
    const r = await sealwatch([...args, '--db', db]);
    t.is(r.code, 0, r.stderr);
    t.notRegex(r.stdout, RAW_CONTROL, args[0]);
  }
  t.true((await sealwatch(['diff', 'evil', '--db', db])).stdout.includes(EVIL_ESCAPED));

  // JSON is exact: the name as it is on disk.
  const json = jsonLines((await sealwatch(['findings', '--db', db, '--json'])).stdout);
  t.true(json.some((f) => f.rule === 'OUT_OF_BAND_CHANGE' && f.path === EVIL));
  const records = jsonLines((await sealwatch(['inspect', '--json', app])).stdout) as Array<{ file: { name: string } }>;
  t.deepEqual(records.map((r) => r.file.name).sort(), [EVIL, BIDI].sort());
  const diff = JSON.parse((await sealwatch(['diff', 'evil', '--json', '--db', db])).stdout) as { changes: Array<{ path: string }> };
  t.deepEqual(diff.changes.map((c) => c.path), [EVIL]);
});

test('findings: a summary, then a table most severe first; --json keeps the JSON lines in the order raised', async (t) => {
  const { db } = await evilHistory();
  const human = (await sealwatch(['findings', '--db', db])).stdout.trim().split('\n');
  t.is(human[0], `5 findings: 2 high, 1 medium, 2 info — most severe: high OUT_OF_BAND_CHANGE ${EVIL_ESCAPED}`, 'the same summary line as scan');
  t.regex(human[1] ?? '', /^ID +SEVERITY +APP +VERSION +RULE +STATE +PATH +MESSAGE$/);
  t.deepEqual(human.slice(2).map((l) => l.split(/ +/)[1]), ['high', 'high', 'medium', 'info', 'info']);
  // Columns are aligned: RULE starts at the same place on every line.
  const ruleAt = (human[1] ?? '').indexOf('RULE');
  for (const l of human.slice(2)) t.regex(l.slice(ruleAt), /^[A-Z_]+ /);
  const json = jsonLines((await sealwatch(['findings', '--db', db, '--json'])).stdout);
  t.deepEqual(json.map((f) => f.id), [1, 2, 3, 4, 5]);
  for (const f of json) t.deepEqual(Object.keys(f), ['id', 'app', 'version', 'rule', 'severity', 'path', 'message', 'state', 'created_at', 'evidence']);
  t.deepEqual(jsonLines((await sealwatch(['findings', '--db', db, '--json', '--unexplained'])).stdout).map((f) => f.severity), ['high', 'high', 'medium']);
});

test('colour on a terminal only, and never with NO_COLOR', async (t) => {
  const { db } = await evilHistory();
  const tty = await onTerminal(cli(['findings', '--db', db]), { NO_COLOR: '' });
  t.is(tty.code, 0, tty.stdout);
  t.true(tty.stdout.includes('\x1b[1;31mhigh'), 'high is red on a terminal');
  t.true(tty.stdout.includes('\x1b[33mmedium'));
  const noColour = await onTerminal(cli(['findings', '--db', db]), { NO_COLOR: '1' });
  t.regex(noColour.stdout, /high/);
  t.false(noColour.stdout.includes('\x1b['), 'NO_COLOR: no escape sequences at all');
  const piped = await sealwatch(['findings', '--db', db], { NO_COLOR: '' });
  t.false(piped.stdout.includes('\x1b'), 'not a terminal: no colour');
  const scanTty = await onTerminal(cli(['history', 'evil', '--db', db]), { NO_COLOR: '' });
  t.regex(scanTty.stdout, /SNAPSHOT +TAKEN AT/);
});

test('progress bar: on stderr when it is a terminal, never in the output, never when not a terminal', async (t) => {
  const dir = join(tmp('progress'), 'tree');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(dir);
  for (let i = 0; i < 20; i++) copyFileSync(peFixture(i % 2 ? 'unsigned.exe' : 'good.dll'), join(dir, `m${i}.dll`));
  const out = join(tmp('progress'), 'records.jsonl');
  const plain = await sealwatch(['inspect', '--json', dir]);
  // stdout to a file, stderr on the terminal: the bar shows files, bytes, rate and ETA.
  const tty = await onTerminal(`${cli(['inspect', '--json', dir])} > ${q(out)}`, { SEALWATCH_PROGRESS_AFTER_MS: '0' });
  t.is(tty.code, plain.code);
  t.regex(tty.stdout, /inspect .* \d+\/20 files \| [\d.]+ [KM]?B\/[\d.]+ KB \| [\d.]+ [KM]?B\/s \| ETA/);
  t.false(tty.stdout.includes('\x1b[?25l'), 'the cursor is never hidden (an interrupted run must not leave it so)');
  t.regex(tty.stdout, /\x1b\[2K$/, 'the bar is cleared at the end');
  t.deepEqual(readFileSync(out, 'utf8'), plain.stdout, 'the records are exactly those of a run without a terminal');
  t.notRegex(plain.stderr, /ETA/, 'no bar when stderr is not a terminal');
  // Shorter than the delay: no bar at all.
  const quick = await onTerminal(`${cli(['inspect', '--json', dir])} > /dev/null`, { SEALWATCH_PROGRESS_AFTER_MS: '60000' });
  t.notRegex(quick.stdout, /ETA/);

  // A scan: the bar counts the files read; the report is unchanged.
  const db = join(tmp('progress'), 'h.db');
  const scan = await onTerminal(`${cli(['scan', dir, '--app', 'p', '--app-version', '1', '--db', db, '--json'])} > ${q(out)}`, { SEALWATCH_PROGRESS_AFTER_MS: '0' });
  t.regex(scan.stdout, /scan .* \d+\/\d+ files \|.*ETA/);
  t.like(JSON.parse(readFileSync(out, 'utf8')) as object, { app: 'p', baseline: true, files: 20, read: 20 });
});

test('EPIPE: output piped into head ends quietly with status 0', async (t) => {
  // 600 PE files behind data names: 600 TYPE_MISMATCH findings on the baseline, far more than a pipe holds.
  const app = tmp('epipe');
  const pe = readFileSync(peFixture('unsigned.exe'));
  for (let i = 0; i < 600; i++) writeFileSync(join(app, `image${i}.png`), pe);
  const db = join(tmp('epipe'), 'h.db');
  t.is((await sealwatch(['scan', app, '--app', 'many', '--app-version', '1', '--db', db, '--json'])).code, 1);
  for (const args of [['findings', '--db', db, '--json'], ['findings', '--db', db], ['inspect', '--json', app]]) {
    const r = await bash(`${cli(args)} 2>${q(join(app, 'stderr.txt'))} | head -1; echo "status=\${PIPESTATUS[0]}"`);
    t.regex(r.stdout, /\nstatus=0\n$/, `${args[0]}: ${r.stdout.slice(-200)}`);
    t.is(readFileSync(join(app, 'stderr.txt'), 'utf8'), '', 'nothing on stderr');
  }
});

test('inspect DIR: non-module files are left out unless --all (JSON too), a summary line ends the human output', async (t) => {
  const dir = tmp('inspect');
  copyFileSync(peFixture('unsigned.exe'), join(dir, 'a.exe'));
  copyFileSync(realCorpusPath('conpty'), join(dir, 'b.dll'));
  writeFileSync(join(dir, 'readme.txt'), 'not a module\n');
  const human = await sealwatch(['inspect', dir]);
  t.is(human.code, 0, human.stderr);
  t.false(human.stdout.includes('readme.txt'));
  t.is(human.stdout.trim().split('\n').at(-1), '2 modules, 1 signed, 1 trusted, 0 invalid, 0 with hidden data; 1 non-module file not shown (--all shows them)');
  const all = await sealwatch(['inspect', '--all', dir]);
  t.true(all.stdout.includes('readme.txt'));
  t.is(all.stdout.trim().split('\n').at(-1), '2 modules, 1 signed, 1 trusted, 0 invalid, 0 with hidden data, 1 other file shown', '--all counts what it shows');
  const names = (args: string[]) => sealwatch(args).then((r) => (jsonLines(r.stdout) as Array<{ file: { name: string } }>).map((x) => x.file.name).sort());
  t.deepEqual(await names(['inspect', '--json', dir]), ['a.exe', 'b.dll']);
  t.deepEqual(await names(['inspect', '--json', '--all', dir]), ['a.exe', 'b.dll', 'readme.txt']);
  t.deepEqual(await names(['inspect', '--json', join(dir, 'readme.txt')]), ['readme.txt'], 'a file named on the command line is always shown');
});

test('Publisher is the verified signer; the self-declared company is shown as such', async (t) => {
  const unsigned = await sealwatch(['inspect', peFixture('unsigned.exe')]);
  t.regex(unsigned.stdout, /\n {2}Company: {3}Contoso Test Ltd \(self-declared\)\n/);
  t.notRegex(unsigned.stdout, /Publisher/, 'an unsigned file has no publisher, whatever it says about itself');
  const signed = await sealwatch(['inspect', realCorpusPath('conpty')]);
  t.regex(signed.stdout, /\n {2}Publisher: Microsoft Corporation\n/);
  t.regex(signed.stdout, /\n {2}Company: {3}Microsoft Corporation \(self-declared\)\n/);
  const apple = await sealwatch(['inspect', realCorpusPath('msal-dylib')]);
  t.regex(apple.stdout, /\n {2}Publisher: Microsoft Corporation \(team UBF8T346G9\)\n/, 'Apple: the certificate organisation and its Team ID');
  const linkerSigned = await sealwatch(['inspect', realCorpusPath('esbuild-darwin')]);
  t.notRegex(linkerSigned.stdout, /Publisher/, 'linker-signed code has no identity, so no publisher');
  const untrusted = await sealwatch(['inspect', peFixture('rogue-root.exe')]);
  t.regex(untrusted.stdout, /\n {2}Publisher: Contoso Test Ltd \(valid signature, NOT trusted\)\n/);
});

test('bad input is a usage error (exit 2) that says what is wrong', async (t) => {
  const { db } = await evilHistory();
  const usage = async (args: string[], message: RegExp): Promise<void> => {
    const r = await sealwatch(args);
    t.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    t.regex(r.stderr, message, args.join(' '));
    t.is(r.stdout, '', `${args.join(' ')}: nothing on stdout`);
  };
  const dir = tmp('bad');
  for (const w of ['0', 'abc', '1.5', '-1', String(availableParallelism() * 2 + 1)]) await usage(['scan', dir, '--app', 'x', '--db', join(dir, 'h.db'), '--workers', w], /--workers: give a whole number from 1 to \d+/);
  for (const d of ['garbage', '2026-13-45', '2026-02-30', '2026-01-01T24:00', '2026-01-01T12:00+25:00', '']) {
    await usage(['scope', '--since', d, '--db', db], /--since: not an ISO date/);
    await usage(['inspect', '--at', d, peFixture('unsigned.exe')], /--at: not an ISO date/);
  }
  await usage(['scope', '--since', '2026-01-01', '--until', 'tomorrow', '--db', db], /--until: not an ISO date/);
  t.is((await sealwatch(['scope', '--since', '2000-01-01T00:00:00+01:00', '--until', '2999-12-31', '--db', db, '--json'])).code, 0, 'real dates with an offset are accepted');
  await usage(['history', 'nope', '--db', db], /no app named nope in the database \(apps: evil\)/);
  await usage(['diff', 'nope', '--db', db], /no app named nope/);
  await usage(['findings', '--app', 'nope', '--db', db], /no app named nope/);
  await usage(['findings', '--app', 'nope', '--json', '--db', db], /no app named nope/);
  await usage(['diff', 'evil', '9.9', '1', '--db', db], /no snapshot of evil with version or snapshot id 9\.9/);
  await usage(['ioc', 'xyz', '--db', db], /not a SHA-256 \(64 hex digits\), SHA-1 \(40\) or MD5 \(32\): "xyz"/);
  await usage(['ioc', 'a'.repeat(63), '--db', db], /not a SHA-256/);
  const list = join(dir, 'iocs.txt');
  writeFileSync(list, `# header\n${'0'.repeat(64)}  some-file.dll\nnot-a-hash\n`);
  await usage(['ioc', '--file', list, '--db', db], /iocs\.txt line 3: not a SHA-256/);
  // A --trust or --catalog directory that is not there: the same usage error for inspect and scan (and no database).
  for (const flag of ['--trust', '--catalog']) {
    await usage(['inspect', flag, join(dir, 'missing'), peFixture('unsigned.exe')], new RegExp(`${flag} .*missing: cannot be read`));
    await usage(['scan', dir, '--app', 'x', '--db', join(dir, 'h.db'), flag, join(dir, 'missing')], new RegExp(`${flag} .*missing: cannot be read`));
  }
  t.false((await import('node:fs')).existsSync(join(dir, 'h.db')), 'a refused scan creates no database');
  await usage(['review', 'abc', '--state', 'accepted', '--db', db], /a finding id is a positive whole number/);
  // Read-only commands never create a database.
  const none = join(dir, 'absent.db');
  const r = await sealwatch(['findings', '--db', none]);
  t.is(r.code, 4, r.stderr);
  t.false((await import('node:fs')).existsSync(none));
});

test('ioc without --ioc-digests: SHA-256 found; SHA-1 and MD5 refused with a message saying they are not recorded', async (t) => {
  const { db } = await evilHistory();
  const bytes = readFileSync(realCorpusPath('conpty'));
  const digest = (alg: string): string => createHash(alg).update(bytes).digest('hex');
  t.is((await sealwatch(['ioc', digest('sha256'), '--db', db])).code, 1);
  for (const [alg, name] of [['sha1', 'SHA-1'], ['md5', 'MD5']] as const) {
    const r = await sealwatch(['ioc', digest(alg), '--db', db]);
    t.is(r.code, 2, `${alg}: ${r.stdout}`);
    t.true(r.stderr.includes(`no ${name} digests are recorded in this database (scans record them only with --ioc-digests)`), r.stderr);
  }
});

test('ioc: SHA-256, and SHA-1 and MD5 from the stored records (scans with --ioc-digests); a table by default, JSON lines with --json', async (t) => {
  const { db } = await evilHistory(['--ioc-digests']);
  const bytes = readFileSync(realCorpusPath('conpty'));
  const digest = (alg: string): string => createHash(alg).update(bytes).digest('hex');
  const human = await sealwatch(['ioc', digest('sha256'), '--db', db]);
  t.is(human.code, 1);
  t.regex(human.stdout, /^1 sighting of 1 of 1 hash\nHASH +APP +PATH +FIRST SEEN \(VERSION\) +LAST SEEN \(VERSION\) +STILL PRESENT +PERIODS PRESENT\n/);
  t.regex(human.stdout, /evil +lib\\x1b\[2K\\r {2}\[info\] fine\.dll .* no +1\n$/);
  const bySha256 = jsonLines((await sealwatch(['ioc', digest('sha256'), '--json', '--db', db])).stdout);
  t.deepEqual(bySha256, [{ sha256: digest('sha256'), app: 'evil', path: EVIL, first_seen: bySha256[0]?.first_seen, last_seen: bySha256[0]?.last_seen, first_version: '1', last_version: '1', still_present: false }]);
  for (const alg of ['sha1', 'md5']) {
    const r = await sealwatch(['ioc', digest(alg).toUpperCase(), '--json', '--db', db]);
    t.is(r.code, 1, `${alg}: ${r.stderr}`);
    t.deepEqual(jsonLines(r.stdout), bySha256.map((h) => ({ ...h, [alg]: digest(alg) })), alg);
  }
  // A list: sha256sum lines, several digests on a line, comments; one file asked for three ways is one sighting.
  const list = join(tmp('ioc'), 'list.txt');
  writeFileSync(list, `# IoCs\n${digest('sha256')}  conpty.dll\n${digest('md5')} ${digest('sha1')} # same file\n\n${'2'.repeat(64)}\n`);
  const fromList = await sealwatch(['ioc', '--file', list, '--json', '--db', db]);
  t.is(fromList.code, 1, fromList.stderr);
  t.deepEqual(jsonLines(fromList.stdout), bySha256);
  const miss = await sealwatch(['ioc', '1'.repeat(40), '--db', db]);
  t.is(miss.code, 0);
  t.regex(miss.stdout, /^0 sightings of 0 of 1 hash\n$/);
});

test('ioc after digests were turned on (an advisory gave SHA-1s): a file first recorded without them is found by a later record that has them; a mixed list searches what it can', async (t) => {
  const db = join(tmp('out'), 'later.db');
  const app = tmp('app');
  copyFileSync(realCorpusPath('conpty'), join(app, 'conpty.dll'));
  t.is((await sealwatch(['scan', app, '--app', 'late', '--app-version', '1', '--db', db])).code, 0);
  const bytes = readFileSync(realCorpusPath('conpty'));
  const digest = (alg: string): string => createHash(alg).update(bytes).digest('hex');
  // Nothing has an MD5 or SHA-1 yet: a list of SHA-256 and MD5 still searches the SHA-256, and says what it could not.
  const list = join(tmp('ioc'), 'mixed.txt');
  writeFileSync(list, `${digest('sha256')}\n${digest('md5')}\n`);
  const mixed = await sealwatch(['ioc', '--file', list, '--db', db]);
  t.is(mixed.code, 1, mixed.stderr);
  t.regex(mixed.stdout, /^1 sighting of 1 of 2 hashes \(1 could not be searched\)\n/);
  t.regex(mixed.stderr, /no MD5 digests are recorded in this database/);
  writeFileSync(list, `${'3'.repeat(64)}\n${digest('md5')}\n`);
  const unseen = await sealwatch(['ioc', '--file', list, '--json', '--db', db]);
  t.is(unseen.code, 3, 'nothing seen, but not everything could be searched: not a clean "never seen"');
  // The same file copied in again (a reinstall) and scanned with --ioc-digests: its new record has the SHA-1.
  rmSync(join(app, 'conpty.dll'));
  copyFileSync(realCorpusPath('conpty'), join(app, 'conpty.dll'));
  t.is((await sealwatch(['scan', app, '--app', 'late', '--app-version', '1', '--ioc-digests', '--db', db])).code, 0);
  const bySha1 = await sealwatch(['ioc', digest('sha1'), digest('sha256'), '--db', db]);
  t.is(bySha1.code, 1, bySha1.stderr);
  t.regex(bySha1.stdout, /^1 sighting of 2 of 2 hashes\n/, 'both digests of the one file count as found');
});

test('scan refuses what it cannot scan before it creates a database: a missing directory (3), a file or an empty --app (2); a --db under /proc is a clear error (4), never a hang', async (t) => {
  const dir = tempDir();
  const db = join(dir, 'new', 'h.db');
  const missing = await sealwatch(['scan', join(dir, 'nope'), '--app', 'x', '--db', db]);
  t.is(missing.code, 3, missing.stderr);
  t.regex(missing.stderr, /nope: cannot be scanned: no such file or directory/);
  const file = join(dir, 'a.exe');
  copyFileSync(realCorpusPath('conpty'), file);
  const notDir = await sealwatch(['scan', file, '--app', 'x', '--db', db]);
  t.is(notDir.code, 2);
  t.regex(notDir.stderr, /is not a directory: scan takes an app's install directory/);
  const noName = await sealwatch(['scan', dir, '--app', ' ', '--db', db]);
  t.is(noName.code, 2);
  t.regex(noName.stderr, /--app needs a name/);
  t.false((await import('node:fs')).existsSync(join(dir, 'new')), 'no database, not even its directory');
  if (process.platform === 'linux') {
    const proc = await sealwatch(['scan', dir, '--app', 'x', '--db', '/proc/sealwatch-nope/h.db']);
    t.is(proc.code, 4, proc.stderr);
    t.regex(proc.stderr, /the history database cannot be created: \/proc\/sealwatch-nope: cannot make directory/);
  }
});
