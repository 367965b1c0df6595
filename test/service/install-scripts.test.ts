// The fleet install scripts under scripts/install/: the Ansible role linted (ansible-lint, --syntax-check) and run for
// real on this machine into a temporary root, twice (the second run changes nothing); the macOS postinstall linted
// (shellcheck) and run against a temporary target volume; the Windows script's sealwatch command lines accepted by the
// CLI (PowerShell itself is not in Debian, so the .ps1 is not executed here).
import test from 'ava';
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parse as parsePlist } from 'plist';
import { parse as parseYaml } from 'yaml';
import { sealwatch } from '../helpers/cli.ts';
import { tempDir } from '../helpers/temp.ts';

const root = resolve(import.meta.dirname, '..', '..');
const install = join(root, 'scripts', 'install');
const tmp = tempDir('sealwatch-install-scripts-');
test.after.always(() => rmSync(tmp, { recursive: true, force: true }));

async function run(file: string, args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(file, [...args], { maxBuffer: 16 << 20, timeout: 280_000, ...opts });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** A stand-in for the single executable: this checkout's launcher on this Node (the SEA is tested in test/package). */
function launcher(dir: string): string {
  const file = join(dir, 'sealwatch');
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, `#!/bin/sh\nexec "${process.execPath}" "${join(root, 'bin', 'sealwatch.cjs')}" "$@"\n`);
  chmodSync(file, 0o755);
  return file;
}

test('Ansible: the playbook and role pass ansible-lint (production profile) and --syntax-check; modules by their full names', async (t) => {
  const dir = join(install, 'ansible');
  const syntax = await run('ansible-playbook', ['--syntax-check', '-i', 'localhost,', 'playbook.yml'], { cwd: dir });
  t.is(syntax.code, 0, syntax.stderr);
  const lint = await run('ansible-lint', ['--nocolor', 'playbook.yml'], { cwd: dir, env: { ...process.env, ANSIBLE_LOCAL_TEMP: join(tmp, 'ansible-tmp') } });
  t.is(lint.code, 0, lint.stdout + lint.stderr);
  t.regex(lint.stdout + lint.stderr, /Passed with production profile: 0 failure\(s\), 0 warning\(s\)/);
  const tasks = parseYaml(readFileSync(join(dir, 'roles', 'sealwatch', 'tasks', 'main.yml'), 'utf8')) as Array<Record<string, unknown>>;
  t.deepEqual(tasks.map((task) => Object.keys(task).find((k) => k.startsWith('ansible.builtin.'))), ['ansible.builtin.file', 'ansible.builtin.copy', 'ansible.builtin.file', 'ansible.builtin.template', 'ansible.builtin.command', 'ansible.builtin.command']);
});

test('Ansible: the role run on this machine into a temporary root installs the executable, a validated 0600 config and the unit; a second run changes nothing', async (t) => {
  const target = join(tmp, 'ansible-root');
  const exe = launcher(join(tmp, 'controller'));
  const vars = {
    sealwatch_exe_src: exe,
    sealwatch_service_root: target,
    sealwatch_config: { database: '/srv/sealwatch/history.db', apps: [{ name: 'demo', path: tmp }], http: { host: '127.0.0.1', port: 9464 } },
    ansible_become: false,
    ansible_python_interpreter: '/usr/bin/python3',
  };
  writeFileSync(join(tmp, 'vars.json'), JSON.stringify(vars));
  const env = { ...process.env, ANSIBLE_LOCAL_TEMP: join(tmp, 'ansible-tmp'), ANSIBLE_REMOTE_TEMP: join(tmp, 'ansible-tmp'), ANSIBLE_NOCOLOR: '1', SEALWATCH_WITNESS: join(tmp, 'witness.json') };
  const args = ['-i', 'localhost,', '-c', 'local', '-e', `@${join(tmp, 'vars.json')}`, join(install, 'ansible', 'playbook.yml')];
  const first = await run('ansible-playbook', args, { env });
  t.is(first.code, 0, first.stdout.slice(-3000));
  t.regex(first.stdout, /localhost\s+: ok=\d+\s+changed=5 /, first.stdout.slice(-1500));
  const unit = readFileSync(join(target, 'etc', 'systemd', 'system', 'sealwatch.service'), 'utf8');
  t.regex(unit, /^ExecStart=\/usr\/local\/bin\/sealwatch run --config \/etc\/sealwatch\/sealwatch\.yaml$/m);
  t.regex(unit, /^ReadWritePaths=\/srv\/sealwatch$/m, 'the database outside the state directory is writable');
  t.is(statSync(join(target, 'srv', 'sealwatch')).mode & 0o777, 0o700);
  const config = join(target, 'etc', 'sealwatch', 'sealwatch.yaml');
  t.is(statSync(config).mode & 0o777, 0o600);
  t.like(parseYaml(readFileSync(config, 'utf8')), { apps: [{ name: 'demo', path: tmp }] });
  t.is(statSync(join(target, 'usr', 'local', 'bin', 'sealwatch')).mode & 0o777, 0o755);
  const second = await run('ansible-playbook', args, { env });
  t.is(second.code, 0, second.stdout.slice(-3000));
  t.regex(second.stdout, /localhost\s+: ok=\d+\s+changed=0 /, second.stdout.slice(-1500));
  // A config the daemon would reject is not written: the role validates it with `sealwatch config validate` first.
  writeFileSync(join(tmp, 'bad.json'), JSON.stringify({ ...vars, sealwatch_config: { apps: 'not a list' } }));
  const bad = await run('ansible-playbook', ['-i', 'localhost,', '-c', 'local', '-e', `@${join(tmp, 'bad.json')}`, join(install, 'ansible', 'playbook.yml')], { env });
  t.not(bad.code, 0);
  t.regex(bad.stdout, /failed to validate/);
  t.like(parseYaml(readFileSync(config, 'utf8')), { apps: [{ name: 'demo' }] }, 'the last good config is still there');
});

test('macOS postinstall / preremove: shellcheck-clean; run against a target volume, the LaunchDaemon plist lands on it', async (t) => {
  const scripts = [join(install, 'macos', 'postinstall'), join(install, 'macos', 'preremove')];
  const lint = await run('shellcheck', scripts);
  t.deepEqual([lint.code, lint.stdout], [0, '']);
  const volume = join(tmp, 'volume');
  launcher(join(volume, 'usr', 'local', 'sealwatch'));
  const r = await run('/bin/bash', [scripts[0] ?? '', '/tmp/sealwatch.pkg', '/', volume], { env: { ...process.env, SEALWATCH_WITNESS: join(tmp, 'witness.json') } });
  t.is(r.code, 0, r.stdout + r.stderr);
  const plist = parsePlist(readFileSync(join(volume, 'Library', 'LaunchDaemons', 'com.sealwatch.agent.plist'), 'utf8')) as { ProgramArguments: string[]; KeepAlive: unknown };
  t.deepEqual(plist.ProgramArguments, ['/usr/local/sealwatch/sealwatch', 'run', '--config', '/Library/Application Support/sealwatch/sealwatch.yaml']);
  t.is(statSync(join(volume, 'Library', 'Application Support', 'sealwatch')).mode & 0o777, 0o755);
  // A missing executable is a clear failure, not a half install.
  const missing = await run('/bin/bash', [scripts[0] ?? '', '/tmp/sealwatch.pkg', '/', join(tmp, 'empty-volume-that-is-not-there')], { env: { ...process.env, SEALWATCH_EXE: '/nonexistent/sealwatch' } });
  t.is(missing.code, 1);
  t.regex(missing.stdout, /\/nonexistent\/sealwatch is missing or not executable/);
});

test('Windows (Intune / GPO): every sealwatch command line in Install-Sealwatch.ps1 is one the CLI accepts', async (t) => {
  const ps1 = readFileSync(join(install, 'windows', 'Install-Sealwatch.ps1'), 'utf8');
  const calls = [...ps1.matchAll(/Invoke-Sealwatch @\(([^)]*)\)/g)].map((m) =>
    (m[1] ?? '').split(',').map((w) => w.trim()).map((w) => (w === '$ConfigFile' ? 'C:\\ProgramData\\sealwatch\\sealwatch.yaml' : w.replace(/^'|'$/g, ''))),
  );
  t.deepEqual(calls.map((c) => c.slice(0, 2).join(' ')), ['service uninstall', 'service install', 'service status']);
  for (const argv of calls) {
    const r = await sealwatch([...argv, '--platform', 'win32', ...(argv[1] === 'status' ? ['--root', tmp] : ['--dry-run'])]);
    t.not(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
    if (argv[1] === 'install') t.regex(r.stdout, /^sc\.exe create sealwatch binPath= .* start= delayed-auto obj= LocalSystem /m);
  }
  t.log('PowerShell is not in Debian: the .ps1 files are checked for their sealwatch command lines, not executed');
});
