// The `sealwatch` command as a user gets it: `npm pack` (prepack compiles dist/), `npm install -g` of the tarball into
// a temporary prefix, the installed command run from another directory with relative paths; `npx sealwatch` inside
// the checkout; and the clear error of the launcher on a Node that is too old. Real npm, real processes.
import test from 'ava';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { sharedCorpus } from '../helpers/real-corpus.ts';
import { tempDir } from '../helpers/temp.ts';

const root = resolve(import.meta.dirname, '..', '..');
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** A clean environment: no npm_* variables of the `npm test` around us; this Node first on PATH. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && k !== 'INIT_CWD') env[k] = v;
  env.PATH = [dirname(process.execPath), process.env.PATH ?? ''].join(delimiter);
  return { ...env, ...extra };
}

async function run(file: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(file, [...args], { cwd, env, maxBuffer: 64 << 20, timeout: 240_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** A Node older than 24 on this machine (the system one, typically), to see the launcher refuse it. */
async function olderNode(): Promise<{ path: string; version: string } | undefined> {
  for (const path of ['/usr/bin/node', '/usr/local/bin/node', '/bin/node']) {
    if (!existsSync(path)) continue;
    const r = await run(path, ['-p', 'process.versions.node'], tmpdir(), cleanEnv());
    const v = r.stdout.trim();
    if (r.code === 0 && Number(v.split('.')[0]) < 24) return { path, version: v };
  }
  return undefined;
}

test('npm pack → npm install -g into a prefix: `sealwatch --version`, inspect and scan from another directory with relative paths; npx in the checkout; a too-old Node is refused clearly', async (t) => {
  const work = tempDir('sealwatch-install-');
  try {
    const env = cleanEnv({ npm_config_cache: join(work, 'npm-cache'), npm_config_update_notifier: 'false' });
    // npm's own cache for the registry fetches of the dependencies: the user's, so the install needs no new download.
    const installEnv = cleanEnv({ npm_config_update_notifier: 'false' });

    const pack = await run('npm', ['pack', '--pack-destination', work], root, installEnv);
    t.is(pack.code, 0, pack.stderr);
    const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
    t.truthy(tarball, pack.stdout);
    const list = await run('tar', ['-tzf', join(work, tarball ?? '')], work, env);
    const members = list.stdout.split('\n');
    t.true(members.includes('package/bin/sealwatch.cjs'));
    t.true(members.includes('package/dist/main.js'), 'prepack compiled the sources');
    t.true(members.includes('package/dist/inventory/scan-worker.js'));
    t.true(members.includes('package/config/trust/microsoft/trust-index.json'));
    t.false(members.some((m) => m.endsWith('.ts')), 'no TypeScript in the package: an installed command never strips types');
    t.false(members.some((m) => m.startsWith('package/test/')), 'tests and their corpus stay out of the package');

    const prefix = join(work, 'prefix');
    const install = await run('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', join(work, tarball ?? '')], work, installEnv);
    t.is(install.code, 0, install.stderr);
    const bin = join(prefix, 'bin', 'sealwatch');

    const v = await run(bin, ['--version'], work, env);
    t.deepEqual([v.code, v.stdout.trim(), v.stderr], [0, version, '']);

    // From another directory, with relative paths: a real Microsoft-signed file, verified against the shipped trust.
    const elsewhere = join(work, 'elsewhere');
    mkdirSync(join(elsewhere, 'app'), { recursive: true });
    copyFileSync(join(sharedCorpus, 'pe', 'signify-whois.exe'), join(elsewhere, 'app', 'whois.exe'));
    copyFileSync(join(sharedCorpus, 'pe', 'uthenticode-YourPhone.exe'), join(elsewhere, 'app', 'YourPhone.exe'));
    const inspect = await run(bin, ['inspect', '--json', '--at', '2026-11-01T00:00:00Z', 'app/whois.exe'], elsewhere, env);
    t.is(inspect.code, 0, inspect.stderr);
    t.is(inspect.stderr, '', 'no warning of any kind');
    const record = JSON.parse(inspect.stdout) as { file: { path: string }; code_signature: { status: string; signatures: Array<{ subject_name: string }> } };
    t.is(record.file.path, join(elsewhere, 'app', 'whois.exe'));
    t.is(record.code_signature.status, 'trusted', 'the shipped config/trust is found from the installed package');
    t.is(record.code_signature.signatures[0]?.subject_name, 'Microsoft Corporation');
    const human = await run(bin, ['inspect', 'app'], elsewhere, env);
    t.is(human.code, 1, 'YourPhone.exe has its certificate table before the end of the file');
    t.regex(human.stdout, /^2 modules, 2 signed, 1 trusted, 0 invalid, 1 with hidden data$/m);

    // A scan spawns worker threads: their script must be found as compiled JavaScript.
    const scan = await run(bin, ['scan', 'app', '--app', 'demo', '--app-version', '1.0', '--db', 'history.db', '--workers', '2', '--json'], elsewhere, { ...env, SEALWATCH_WITNESS: join(work, 'witness.json') });
    t.is(scan.stderr, '');
    t.true(existsSync(join(elsewhere, 'history.db')), 'the relative --db is the caller’s');
    const report = JSON.parse(scan.stdout) as { baseline: boolean; files: number; read: number };
    // Exit 1: the baseline reports YourPhone.exe's data outside its signature.
    t.deepEqual([scan.code, report.baseline, report.files, report.read], [1, true, 2, 2], scan.stdout.slice(0, 400));

    // npx inside the checkout (a fresh npm cache, as on a first call), from a subdirectory with a relative path.
    const npx = await run('npx', ['sealwatch', '--version'], root, env);
    t.deepEqual([npx.code, npx.stdout.trim()], [0, version]);
    t.notRegex(npx.stderr, /EBADENGINE|Warning/i, 'no engine or experimental warning');
    const npxInspect = await run('npx', ['sealwatch', 'inspect', 'pe/signify-whois.exe'], join(root, 'test', 'corpus'), env);
    t.is(npxInspect.code, 0, npxInspect.stderr);
    t.regex(npxInspect.stdout, /^1 module, 1 signed, 1 trusted/m);
    t.notRegex(npxInspect.stderr, /EBADENGINE|Warning/i);
    // `npm run sealwatch -- …` runs in the package root: relative paths are still the caller's (INIT_CWD).
    const npmRun = await run('npm', ['run', '--silent', 'sealwatch', '--', 'inspect', 'pe/signify-whois.exe'], join(root, 'test', 'corpus'), env);
    t.is(npmRun.code, 0, npmRun.stderr);
    t.regex(npmRun.stdout, /^1 module, 1 signed, 1 trusted/m);

    // The launcher on an older Node: a clear message with both versions, exit 2, nothing else run.
    const old = await olderNode();
    if (old) {
      const r = await run(old.path, [bin, '--version'], work, env);
      t.is(r.code, 2);
      t.is(r.stdout, '');
      t.true(r.stderr.startsWith(`sealwatch: needs Node.js 24.0.0 or newer; found ${old.version} (${old.path}).`), r.stderr);
    } else {
      t.log('no Node older than 24 on this machine: the launcher’s refusal was not exercised');
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
