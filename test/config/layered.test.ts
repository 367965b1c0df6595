// Layered config: defaults < file < managed settings (a macOS managed-preferences plist in a temp dir; Windows
// `reg query` output as Microsoft documents it) < SEALWATCH_* < --set, each value's source kept; files non-admins
// can write refused, with the reason.
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build, buildBinary } from 'plist';
import { loadLayered } from '../../daemon/config/config.ts';
import { originOf } from '../../daemon/config/layers.ts';
import { parseRegQuery, registryLayer } from '../../daemon/config/managed-registry.ts';
import { writableByNonAdmin } from '../../daemon/shared/permissions.ts';
import { envSettings } from '../../daemon/config/schema-walk.ts';
import { SealwatchError } from '../../daemon/shared/errors.ts';
import { tempDir } from '../helpers/temp.ts';

const FILE = 'apps:\n  - name: a\n    path: /opt/a\nwatch:\n  settle: 30s\nlog:\n  level: info\nschedules:\n  rescan: "0 3 * * *"\n';

function dir(): string {
  return tempDir('sealwatch-layered-');
}

function configFile(text = FILE): string {
  const file = join(dir(), 'sealwatch.yaml');
  writeFileSync(file, text);
  return file;
}

/** A stand-in for /Library/Managed Preferences: a real XML plist as mdmclient writes it. */
function managedPlist(value: Record<string, unknown>): string {
  const d = join(dir(), 'Managed Preferences');
  mkdirSync(d);
  const file = join(d, 'com.sealwatch.agent.plist');
  writeFileSync(file, build(value as never));
  return file;
}

const none = { managed: {} };

test('managed settings override the file; the environment overrides managed; --set overrides everything; sources kept', (t) => {
  const file = configFile();
  const plist = managedPlist({ watch: { settle: '2m', max_wait: '20m' }, log: { level: 'warn' }, apps: [{ name: 'managed-app', path: '/opt/m' }], PayloadUUID: 'ignored' });
  const r = loadLayered(file, { SEALWATCH_LOG_LEVEL: 'debug', SEALWATCH_WORKERS: '1' }, { managed: { plist }, set: ['schedules.rescan=0 4 * * *'] });
  t.is(r.config.watch.settleMs, 120_000, 'managed beats the file');
  t.deepEqual(r.config.apps.map((a) => a.name), ['managed-app'], 'a list is replaced whole');
  t.is(r.config.log.level, 'debug', 'environment beats managed');
  t.is(r.config.workers, 1);
  t.is(r.config.schedules.rescan, '0 4 * * *', '--set beats the file');
  t.is(r.config.delivery.maxAttempts, 1000);
  const src = (...p: string[]): string | undefined => originOf(r.merged, p)?.source;
  t.is(src('watch', 'settle'), `managed ${plist}`);
  t.is(src('apps'), `managed ${plist}`);
  t.is(src('apps', '0', 'path'), `managed ${plist}`);
  t.is(src('log', 'level'), 'env SEALWATCH_LOG_LEVEL');
  t.is(src('schedules', 'rescan'), '--set schedules.rescan');
  t.is(src('delivery', 'max_attempts'), 'default');
  // Without the managed layer the file's own values stand.
  const plain = loadLayered(file, {}, none);
  t.is(plain.config.watch.settleMs, 30_000);
  t.is(originOf(plain.merged, ['watch', 'settle'])?.source, `file ${file}`);
});

test('an error in a managed value names its source, not a line of the file', (t) => {
  const plist = managedPlist({ watch: { settle: 'soon' } });
  const err = t.throws(() => loadLayered(configFile(), {}, { managed: { plist } }), { instanceOf: SealwatchError });
  t.regex(err?.message ?? '', /from managed .*com\.sealwatch\.agent\.plist: watch\.settle: must be a duration/);
  const env = t.throws(() => loadLayered(configFile(), { SEALWATCH_HTTP_PORT: 'eighty' }, none), { instanceOf: SealwatchError });
  t.regex(env?.message ?? '', /from env SEALWATCH_HTTP_PORT: http\.port: must be integer/);
  const set = t.throws(() => loadLayered(configFile(), {}, { ...none, set: ['nosuch.field=1'] }), { instanceOf: SealwatchError });
  t.regex(set?.message ?? '', /--set nosuch\.field: no such config field/);
  // A file error still names the line.
  const line = t.throws(() => loadLayered(configFile('apps:\n  - name: a\n    path: /x\nlog:\n  level: loud\n'), {}, none));
  t.regex(line?.message ?? '', /line 5: log\.level: must be one of error, warn, info, debug/);
});

test('a binary plist is read as well; a broken one is a CONFIG error naming the file', (t) => {
  const bad = managedPlist({});
  writeFileSync(bad, '<plist><dict><key>log</key>');
  const err = t.throws(() => loadLayered(configFile(), {}, { managed: { plist: bad } }), { instanceOf: SealwatchError });
  t.regex(err?.message ?? '', /managed settings .*com\.sealwatch\.agent\.plist: not a readable property list/);
  const bin = managedPlist({});
  writeFileSync(bin, buildBinary({ log: { level: 'error' } } as never));
  t.is(loadLayered(configFile(), {}, { managed: { plist: bin } }).config.log.level, 'error');
  const missing = loadLayered(configFile(), {}, { managed: { plist: join(dir(), 'absent.plist') } });
  t.is(missing.config.log.level, 'info', 'no managed preferences: nothing managed');
});

test('the managed plist is bounded like the config: a FIFO or a 5 MiB file is refused before it is read, and who may write it is checked first', (t) => {
  const fifo = managedPlist({});
  rmSync(fifo);
  execFileSync('mkfifo', [fifo]);
  // A FIFO read would block this test for ever: the refusal comes from stat, before any read.
  t.throws(() => loadLayered(configFile(), {}, { managed: { plist: fifo } }), { instanceOf: SealwatchError, message: `managed settings ${fifo}: cannot be read: not a regular file` });
  const big = managedPlist({ log: { level: 'warn' } });
  truncateSync(big, 5 << 20);
  t.throws(() => loadLayered(configFile(), {}, { managed: { plist: big } }), { instanceOf: SealwatchError, message: /^managed settings .*: cannot be read: 5242880 bytes, over the 4194304-byte bound$/ });
  // A world-writable FIFO: the admin check speaks first (reading it would already be too late).
  chmodSync(fifo, 0o666);
  t.throws(() => loadLayered(configFile(), {}, { managed: { plist: fifo } }), { instanceOf: SealwatchError, message: /managed settings .*: refused: non-admin users can change it: the file .* is world-writable/ });
});

// `reg query HKLM\SOFTWARE\Policies\sealwatch /s` as reg.exe prints it (the layout of the examples in Microsoft's
// "reg query" documentation: key header lines, values indented four spaces, name / type / data four spaces apart,
// CRLF line ends, a blank line after each key).
const REG_OUTPUT = [
  '',
  'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\sealwatch',
  '    database    REG_SZ    C:\\ProgramData\\sealwatch\\sealwatch.db',
  '    workers    REG_DWORD    0x1',
  '    policies    REG_MULTI_SZ    C:\\policies\\a.yaml\\0C:\\policies\\b',
  '    apps    REG_SZ    [{"name":"Contoso Chat","path":"C:\\\\Program Files\\\\Contoso"}]',
  '',
  'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\sealwatch\\watch',
  '    settle    REG_SZ    45s',
  '    discover    REG_DWORD    0x0',
  '',
  'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\sealwatch\\log',
  '    level    REG_SZ    warn',
  '    console    REG_DWORD    0x1',
  '    max_files    REG_QWORD    0xa',
  '    (Default)    REG_SZ    ',
  '',
].join('\r\n');

test('reg query output: values, types and subkeys become config fields', (t) => {
  const values = parseRegQuery(REG_OUTPUT);
  t.is(values.length, 10);
  t.deepEqual(values[0], { key: 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\sealwatch', name: 'database', type: 'REG_SZ', data: 'C:\\ProgramData\\sealwatch\\sealwatch.db' });
  t.deepEqual(values.at(-1), { key: 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\sealwatch\\log', name: '(Default)', type: 'REG_SZ', data: '' });
  const layer = registryLayer(REG_OUTPUT);
  t.deepEqual(layer.data, {
    database: 'C:\\ProgramData\\sealwatch\\sealwatch.db',
    workers: 1,
    policies: ['C:\\policies\\a.yaml', 'C:\\policies\\b'],
    apps: [{ name: 'Contoso Chat', path: 'C:\\Program Files\\Contoso' }],
    watch: { settle: '45s', discover: false },
    log: { level: 'warn', console: true, max_files: 10 },
  });
  const r = loadLayered(configFile(), {}, { managed: { registry: () => REG_OUTPUT.replace(/ {4}policies .*\r\n/, '').replace(/ {4}database .*\r\n/, '') } });
  t.is(r.config.watch.settleMs, 45_000);
  t.is(r.config.log.level, 'warn');
  t.is(r.config.log.maxFiles, 10);
  t.deepEqual(r.config.apps.map((a) => a.name), ['Contoso Chat']);
  t.is(originOf(r.merged, ['watch', 'settle'])?.source, 'managed HKLM\\SOFTWARE\\Policies\\sealwatch');
  // The key missing (reg exits 1): nothing managed.
  t.is(loadLayered(configFile(), {}, { managed: { registry: () => '' } }).config.watch.settleMs, 30_000);
});

test('the environment sets every scalar outside a list, and leaves secrets and SEALWATCH_CONFIG alone', (t) => {
  const names = new Map(envSettings().map(([p, n]) => [n, p.join('.')]));
  t.is(names.get('SEALWATCH_WATCH_MAX_WAIT'), 'watch.max_wait');
  t.is(names.get('SEALWATCH_HTTP_PORT'), 'http.port');
  t.is(names.get('SEALWATCH_DATABASE'), 'database');
  t.false(names.has('SEALWATCH_CONFIG'));
  t.false([...names.values()].some((p) => p.startsWith('apps') || p.startsWith('alerts')));
  const r = loadLayered(configFile(), { SEALWATCH_HOOK_SECRET: 'x', SEALWATCH_WATCH_DISCOVER: 'true', SEALWATCH_CONFIG: '/nowhere' }, none);
  t.true(r.config.watch.discover);
});

test('a config file, its directory or a policy path that non-admins can write is refused, saying why', (t) => {
  const file = configFile();
  chmodSync(file, 0o666);
  const err = t.throws(() => loadLayered(file, {}, none), { instanceOf: SealwatchError });
  t.regex(err?.message ?? '', /^config .*sealwatch\.yaml: refused: non-admin users can change it: the file .* is world-writable \(mode 0666; chmod o-w/);
  chmodSync(file, 0o644);
  t.notThrows(() => loadLayered(file, {}, none));
  if (process.getuid?.() === 0) {
    chownSync(file, 65534, 65534);
    t.regex(writableByNonAdmin(file) ?? '', /the file .* is owned by uid 65534, not root/);
    chownSync(file, 0, 0);
    chmodSync(file, 0o664);
    t.regex(writableByNonAdmin(file, 'linux') ?? '', /writable by group 0 or, through a POSIX ACL \(its mask\), by named users/, 'Linux: the group bits may be an ACL mask');
    t.is(writableByNonAdmin(file, 'darwin'), undefined, 'macOS: root\'s group may write (wheel / admin are admins)');
    chmodSync(file, 0o644);
    // A real POSIX ACL (setfacl -m u:65534:rw): the named user can write a file whose owner and group are root.
    const acl = "import os,struct,sys; e=[(1,6,0xffffffff),(2,6,65534),(4,4,0xffffffff),(16,6,0xffffffff),(32,4,0xffffffff)]; os.setxattr(sys.argv[1],'system.posix_acl_access',struct.pack('<I',2)+b''.join(struct.pack('<HHI',*x) for x in e))";
    if (spawnSync('python3', ['-c', acl, file]).status === 0) {
      t.regex(writableByNonAdmin(file, 'linux') ?? '', /POSIX ACL/);
      execFileSync('python3', ['-c', "import os,sys; os.removexattr(sys.argv[1],'system.posix_acl_access')", file]);
      chmodSync(file, 0o644);
    } else t.log('this file system takes no POSIX ACL: that part not checked');
    chmodSync(file, 0o664);
    chownSync(file, 0, 65534);
    t.regex(writableByNonAdmin(file) ?? '', /writable by group 65534/);
    t.regex(writableByNonAdmin(file, 'darwin') ?? '', /writable by group 65534/);
    chownSync(file, 0, 0);
    chmodSync(file, 0o644);
  }
  chmodSync(join(file, '..'), 0o777);
  t.regex(writableByNonAdmin(file) ?? '', /its directory .* is world-writable/);
  chmodSync(join(file, '..'), 0o1777);
  t.is(writableByNonAdmin(file), undefined, 'a sticky directory (like /tmp): others cannot replace the file');
  chmodSync(join(file, '..'), 0o700);
  // Any directory on the way, not only the file's own: its writer renames the way to the file and puts another there.
  const deep = join(dir(), 'a', 'b');
  mkdirSync(deep, { recursive: true });
  writeFileSync(join(deep, 'sealwatch.yaml'), 'x: 1\n');
  chmodSync(join(deep, '..'), 0o777);
  t.regex(writableByNonAdmin(join(deep, 'sealwatch.yaml')) ?? '', /its directory .*\/a is world-writable/);
  // A link from an admin-only place to a file in a writable directory: the file it leads to is what is read.
  const linked = join(dir(), 'linked.yaml');
  symlinkSync(join(deep, 'sealwatch.yaml'), linked);
  t.regex(writableByNonAdmin(linked) ?? '', /its directory .*\/a is world-writable/);
  chmodSync(join(deep, '..'), 0o755);
  t.is(writableByNonAdmin(linked), undefined);
  const policies = join(dir(), 'policies');
  mkdirSync(policies);
  writeFileSync(join(policies, 'p.yaml'), 'x: 1\n');
  chmodSync(join(policies, 'p.yaml'), 0o646);
  const withPolicy = configFile(`${FILE}policies:\n  - ${policies}\n`);
  const perr = t.throws(() => loadLayered(withPolicy, {}, none), { instanceOf: SealwatchError });
  t.regex(perr?.message ?? '', /line 11: policies\[0\]: policy path .*policies: refused: .*the file .*p\.yaml is world-writable/);
  // Trust anchors decide which signatures count: a root CA planted in a writable trust directory would vouch for anything.
  const trust = join(dir(), 'trust');
  mkdirSync(trust);
  chmodSync(trust, 0o777);
  const terr = t.throws(() => loadLayered(configFile(`${FILE}verification:\n  trust: [${trust}]\n`), {}, none), { instanceOf: SealwatchError });
  t.regex(terr?.message ?? '', /verification\.trust\[0\]: trust directory .*trust: refused: .*world-writable/);
});

test('trust directories are checked all the way down: subfolders, files in them, and where links inside lead', (t) => {
  const none = { managed: {} };
  const trust = join(dir(), 'trust');
  const apple = join(trust, 'apple');
  mkdirSync(apple, { recursive: true });
  writeFileSync(join(apple, 'root.pem'), 'x');
  const load = (): string | undefined => {
    try {
      loadLayered(configFile(`${FILE}verification:\n  trust: [${trust}]\n`), {}, none);
      return undefined;
    } catch (err) {
      return (err as Error).message;
    }
  };
  t.is(load(), undefined);
  chmodSync(join(apple, 'root.pem'), 0o666);
  t.regex(load() ?? '', /verification\.trust\[0\]: trust directory .*trust: refused: .*something in it: the file .*apple\/root\.pem is world-writable/);
  chmodSync(join(apple, 'root.pem'), 0o644);
  chmodSync(apple, 0o775);
  chownSync(apple, 0, 65534);
  t.regex(load() ?? '', /the directory .*trust\/apple is writable by group 65534/);
  chmodSync(apple, 0o755);
  const elsewhere = join(dir(), 'elsewhere');
  mkdirSync(join(elsewhere, 'inner'), { recursive: true });
  writeFileSync(join(elsewhere, 'inner', 'rogue.pem'), 'x');
  chmodSync(join(elsewhere, 'inner', 'rogue.pem'), 0o666);
  symlinkSync(elsewhere, join(trust, 'custom'));
  t.regex(load() ?? '', /the file .*elsewhere\/inner\/rogue\.pem is world-writable/, 'a linked folder is read by the loader, so it is checked through');
  chmodSync(join(elsewhere, 'inner', 'rogue.pem'), 0o644);
  chmodSync(elsewhere, 0o777);
  t.regex(load() ?? '', /the directory .*trust\/custom is world-writable/, 'the link itself names the writable folder it leads to');
  chmodSync(elsewhere, 0o755);
  t.is(load(), undefined, 'admin-only all the way down: accepted');
});
