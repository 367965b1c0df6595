// `sealwatch service`: the systemd unit checked by systemd's own tools (verify, offline security audit), installed
// into a temporary root and removed again — or, where systemd runs as PID 1 and we are root, really installed,
// started, checked and removed; the LaunchDaemon plist parsed back; the Windows SCM commands checked word by word.
import test from 'ava';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'plist';
import { sealwatch } from '../helpers/cli.ts';
import { tempDir } from '../helpers/temp.ts';

const run = async (file: string, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
  try {
    const { stdout, stderr } = await promisify(execFile)(file, [...args]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
};

/** The text between the first `# PATH` header of a dry run and the plan: the definition itself. */
function definitionOf(dryRun: string): string {
  const start = dryRun.indexOf('\n') + 1;
  return dryRun.slice(start, dryRun.lastIndexOf('\n\n# install would:')) + '\n';
}

const tmp = tempDir('sealwatch-service-');
test.after.always(() => rmSync(tmp, { recursive: true, force: true }));

test('the systemd unit: hardened, accepted by `systemd-analyze verify`, rated OK by its offline security audit', async (t) => {
  const root = join(tmp, 'unit');
  const install = await sealwatch(['service', 'install', '--root', root, '--config', '/etc/sealwatch/sealwatch.yaml']);
  t.is(install.code, 0, install.stderr);
  t.regex(install.stdout, /^not run \(--root\): systemctl enable --now sealwatch\.service$/m);
  t.regex(install.stderr, /warning: .*\/unit\/etc\/sealwatch\/sealwatch\.yaml does not exist yet; the service will not start until it does/);
  const unitFile = join(root, 'etc', 'systemd', 'system', 'sealwatch.service');
  const unit = readFileSync(unitFile, 'utf8');
  t.is(statSync(unitFile).mode & 0o777, 0o644);
  const directives = new Map(unit.split('\n').filter((l) => /^\w+=/.test(l)).map((l) => l.split(/=(.*)/s).slice(0, 2) as [string, string]));
  t.is(directives.get('ProtectSystem'), 'strict');
  t.is(directives.get('ProtectHome'), 'read-only');
  t.is(directives.get('NoNewPrivileges'), 'yes');
  t.is(directives.get('PrivateTmp'), 'yes');
  t.is(directives.get('CapabilityBoundingSet'), 'CAP_DAC_READ_SEARCH');
  t.is(directives.get('Restart'), 'on-failure');
  t.is(directives.get('RestartPreventExitStatus'), '2', 'a configuration error is not restarted in a loop');
  t.is(directives.get('StateDirectory'), 'sealwatch sealwatch-witness');
  t.regex(directives.get('ExecStart') ?? '', /bin\/sealwatch\.cjs run --config \/etc\/sealwatch\/sealwatch\.yaml$/);

  const verify = await run('systemd-analyze', ['verify', unitFile]);
  t.deepEqual([verify.code, verify.stdout + verify.stderr], [0, ''], 'no error and no warning');
  // The check can fail: a unit whose program does not exist is refused.
  const broken = join(tmp, 'broken.service');
  writeFileSync(broken, unit.replace(/^ExecStart=\S+/m, 'ExecStart=/nonexistent/sealwatch'));
  const bad = await run('systemd-analyze', ['verify', broken]);
  t.not(bad.code, 0);
  t.regex(bad.stderr, /nonexistent/);

  const audit = await run('systemd-analyze', ['security', '--offline=true', unitFile]);
  const level = /Overall exposure level for sealwatch\.service: ([\d.]+) (\w+)/.exec(audit.stdout);
  t.truthy(level, audit.stdout.slice(-400));
  t.true(Number(level?.[1]) < 5, `exposure ${level?.[1]} ${level?.[2]}`);
  t.is(level?.[2], 'OK');
  t.log(`systemd-analyze security --offline: ${level?.[1]} ${level?.[2]}`);
});

test('a database and log directory named by the config become the only extra ReadWritePaths, created 0700', async (t) => {
  const root = join(tmp, 'dirs');
  const config = join(tmp, 'custom.yaml');
  writeFileSync(config, `database: ${join(tmp, 'data', 'h.db')}\nlog:\n  dir: ${join(tmp, 'logs')}\napps: []\n`);
  const dry = await sealwatch(['service', 'install', '--dry-run', '--config', config]);
  t.is(dry.code, 0, dry.stderr);
  t.regex(dry.stdout, new RegExp(`^ReadWritePaths=${join(tmp, 'data')} ${join(tmp, 'logs')}$`, 'm'));
  t.regex(dry.stdout, new RegExp(`^mkdir -m 0700 -p ${join(tmp, 'data')}$`, 'm'));
  // Under --root the config is the one on the target (ROOT/path): the same file placed there.
  mkdirSync(join(root, tmp), { recursive: true });
  copyFileSync(config, join(root, config));
  const install = await sealwatch(['service', 'install', '--root', root, '--config', config]);
  t.is(install.code, 0, install.stderr);
  t.is(statSync(join(root, tmp, 'data')).mode & 0o777, 0o700);
  const verify = await run('systemd-analyze', ['verify', join(root, 'etc', 'systemd', 'system', 'sealwatch.service')]);
  t.deepEqual([verify.code, verify.stderr], [0, '']);
});

test('every directory the config makes the daemon write is in ReadWritePaths: a sibling of the state directory (/var/lib/sealwatch-history), NDJSON exports, the bundle directory', async (t) => {
  const config = join(tmp, 'siblings.yaml');
  writeFileSync(config, `database: /var/lib/sealwatch-history/h.db\nlog:\n  dir: /var/log/sealwatchd\nexport:\n  - type: ndjson\n    path: /srv/events/sealwatch.ndjson\nbundle:\n  url: https://bundles.example.invalid/b.json\n  public_keys: [/etc/sealwatch/bundle.pub]\n  dir: /srv/bundle\napps: []\n`);
  const dry = await sealwatch(['service', 'install', '--dry-run', '--platform', 'linux', '--config', config]);
  t.is(dry.code, 0, dry.stderr);
  t.regex(dry.stdout, /^ReadWritePaths=\/var\/lib\/sealwatch-history \/var\/log\/sealwatchd \/srv\/events \/srv\/bundle$/m);
  const inState = join(tmp, 'in-state.yaml');
  writeFileSync(inState, 'database: /var/lib/sealwatch/h.db\napps: []\n');
  t.notRegex((await sealwatch(['service', 'install', '--dry-run', '--platform', 'linux', '--config', inState])).stdout, /^ReadWritePaths=/m, 'inside the state directory: writable already');
});

test('install → status → uninstall → status round trip (systemd as PID 1: for real; otherwise under --root)', async (t) => {
  const realSystemd = existsSync('/run/systemd/system') && process.getuid?.() === 0;
  if (realSystemd) {
    t.log('systemd is PID 1: installing the unit on this machine for real');
    const config = join(tmp, 'real.yaml');
    writeFileSync(config, `database: ${join(tmp, 'real', 'h.db')}\napps: []\nhttp:\n  host: 127.0.0.1\n  port: 0\n`);
    const install = await sealwatch(['service', 'install', '--config', config]);
    t.is(install.code, 0, install.stderr + install.stdout);
    try {
      let status = await sealwatch(['service', 'status', '--config', config, '--json']);
      for (let i = 0; i < 50 && status.code !== 0; i++) status = await sealwatch(['service', 'status', '--config', config, '--json']);
      const s = JSON.parse(status.stdout) as { installed: boolean; current: boolean; state: string };
      t.deepEqual([status.code, s.installed, s.current, s.state], [0, true, true, 'running'], status.stdout);
    } finally {
      const un = await sealwatch(['service', 'uninstall', '--config', config]);
      t.is(un.code, 0, un.stderr);
    }
    t.false(existsSync('/etc/systemd/system/sealwatch.service'));
    return;
  }
  t.log('systemd is not PID 1 here (or not root): the round trip runs against a temporary root');
  const root = join(tmp, 'round');
  const before = await sealwatch(['service', 'status', '--root', root, '--json']);
  t.is(before.code, 1);
  t.like(JSON.parse(before.stdout), { installed: false, current: null });
  t.is((await sealwatch(['service', 'install', '--root', root])).code, 0);
  const after = await sealwatch(['service', 'status', '--root', root, '--json']);
  t.is(after.code, 0, after.stdout);
  t.like(JSON.parse(after.stdout), { platform: 'linux', installed: true, current: true, state: null });
  // A unit edited by hand is reported as differing from what install would write.
  const unitFile = join(root, 'etc', 'systemd', 'system', 'sealwatch.service');
  writeFileSync(unitFile, readFileSync(unitFile, 'utf8').replace('ProtectHome=read-only', 'ProtectHome=no'));
  const edited = await sealwatch(['service', 'status', '--root', root]);
  t.regex(edited.stdout, /differs from what `service install` would write now/);
  const un = await sealwatch(['service', 'uninstall', '--root', root]);
  t.is(un.code, 0, un.stderr);
  t.regex(un.stdout, /^remove .*sealwatch\.service$/m);
  t.false(existsSync(unitFile));
  t.is((await sealwatch(['service', 'status', '--root', root])).code, 1);
});

test('--dry-run changes nothing, and installing for real without root or for another OS is refused clearly', async (t) => {
  const dry = await sealwatch(['service', 'uninstall', '--dry-run']);
  t.is(dry.code, 0);
  t.regex(dry.stdout, /^# uninstall would:\nsystemctl disable --now sealwatch\.service .*\nremove \/etc\/systemd\/system\/sealwatch\.service\nsystemctl daemon-reload/m);
  const other = await sealwatch(['service', 'install', '--platform', 'darwin']);
  t.is(other.code, 2);
  t.regex(other.stderr, /cannot install a darwin service on linux/);
  const bogus = await sealwatch(['service', 'install', '--dry-run', '--platform', 'beos']);
  t.is(bogus.code, 2);
  t.regex(bogus.stderr, /unsupported platform "beos"/);
});

test('the macOS LaunchDaemon plist parses back with the keys launchd needs', async (t) => {
  const dry = await sealwatch(['service', 'install', '--dry-run', '--platform', 'darwin', '--exec', '/usr/local/sealwatch/sealwatch']);
  t.is(dry.code, 0, dry.stderr);
  t.true(dry.stdout.startsWith('# /Library/LaunchDaemons/com.sealwatch.agent.plist\n'));
  const doc = parse(definitionOf(dry.stdout)) as Record<string, unknown>;
  t.deepEqual(doc, {
    Label: 'com.sealwatch.agent',
    ProgramArguments: ['/usr/local/sealwatch/sealwatch', 'run', '--config', '/Library/Application Support/sealwatch/sealwatch.yaml'],
    RunAtLoad: true,
    KeepAlive: { SuccessfulExit: false },
    ThrottleInterval: 30,
    StandardOutPath: '/Library/Logs/sealwatch/sealwatch.out.log',
    StandardErrorPath: '/Library/Logs/sealwatch/sealwatch.err.log',
    ProcessType: 'Background',
    Umask: 0o077,
  });
  t.regex(dry.stdout, /^launchctl bootstrap system \/Library\/LaunchDaemons\/com\.sealwatch\.agent\.plist /m);
  // Written under a root like any install: the same bytes, mode 0644.
  const root = join(tmp, 'mac');
  t.is((await sealwatch(['service', 'install', '--root', root, '--platform', 'darwin', '--exec', '/usr/local/sealwatch/sealwatch'])).code, 0);
  const file = join(root, 'Library', 'LaunchDaemons', 'com.sealwatch.agent.plist');
  t.is(readFileSync(file, 'utf8').trimEnd(), definitionOf(dry.stdout).trimEnd());
  t.is(statSync(file).mode & 0o777, 0o644);
});

/** CommandLineToArgvW's rules (the SCM starts binPath with them): backslashes before a quote, quotes, spaces. */
function windowsArgv(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  let any = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '\\') {
      let n = 0;
      while (line[i] === '\\') (n++, i++);
      if (line[i] === '"') {
        cur += '\\'.repeat(n >> 1);
        if (n % 2) cur += '"';
        else (quoted = !quoted, any = true);
      } else (cur += '\\'.repeat(n), i--);
    } else if (c === '"') (quoted = !quoted, any = true);
    else if (c === ' ' && !quoted) {
      if (cur || any) out.push(cur);
      cur = '';
      any = false;
    } else cur += c;
  }
  if (cur || any) out.push(cur);
  return out;
}

test('the Windows service: sc.exe create with LocalSystem and delayed auto-start, restart on failure; binPath reads back as the argv', async (t) => {
  const exe = 'C:\\Program Files\\sealwatch\\sealwatch.exe';
  const config = 'C:\\ProgramData\\sealwatch\\my "odd" config.yaml';
  const dry = await sealwatch(['service', 'install', '--dry-run', '--platform', 'win32', '--exec', exe, '--config', config]);
  t.is(dry.code, 0, dry.stderr);
  const binPath = /^binPath= (.*)$/m.exec(dry.stdout)?.[1] ?? '';
  // The SCM starts the service host beside the executable; it runs the daemon's command line given after `--`.
  t.deepEqual(windowsArgv(binPath), ['C:\\Program Files\\sealwatch\\sealwatch-service.exe', '--', exe, 'run', '--config', config, '--stop-on-stdin-eof']);
  const commands = dry.stdout.split('# install would:\n')[1]?.split('\n').filter(Boolean).map((l) => l.replace(/ {4}#.*$/, '')) ?? [];
  t.is(commands.length, 5);
  t.true(commands[0]?.startsWith('sc.exe create sealwatch binPath= '));
  t.true(commands[0]?.endsWith(' start= delayed-auto obj= LocalSystem DisplayName= "sealwatch update integrity monitor"'));
  t.is(commands[2], 'sc.exe failure sealwatch reset= 86400 actions= restart/10000/restart/60000/restart/300000');
  t.is(commands[3], 'sc.exe failureflag sealwatch 1');
  t.is(commands[4], 'sc.exe start sealwatch');
  const un = await sealwatch(['service', 'uninstall', '--dry-run', '--platform', 'win32']);
  t.regex(un.stdout, /^sc\.exe stop sealwatch .*\nsc\.exe delete sealwatch /m);
  // The default config path of a Windows service is Windows's, whichever OS printed it.
  const defaults = await sealwatch(['service', 'install', '--dry-run', '--platform', 'win32', '--exec', exe]);
  t.regex(defaults.stdout, /^binPath= .* run --config C:\\ProgramData\\sealwatch\\sealwatch\.yaml --stop-on-stdin-eof$/m);
});
