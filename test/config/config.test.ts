// The daemon's config file: the shipped example loads; every kind of mistake is refused naming the file, the line and
// the field path; durations, relative paths and url_env / secret_env are resolved; secrets never appear in errors.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Ajv } from 'ajv';
import { loadConfig, SCHEMA_FILE } from '../../daemon/config/config.ts';
import { formatDuration, parseDuration } from '../../daemon/config/duration.ts';
import { configPath } from '../../daemon/config/paths.ts';
import { SealwatchError } from '../../daemon/shared/errors.ts';
import { tempDir } from '../helpers/temp.ts';

const EXAMPLE = resolve(import.meta.dirname, '..', '..', 'config', 'sealwatch.example.yaml');
const ENV = { SEALWATCH_HOOK_SECRET: 'hmac-key-1', SEALWATCH_SLACK_URL: 'https://hooks.slack.com/services/T0/B0/tok3n' };

function write(text: string, name = 'sealwatch.yaml'): string {
  const file = join(tempDir('sealwatch-config-'), name);
  writeFileSync(file, text);
  return file;
}

function refused(t: import('ava').ExecutionContext, text: string, pattern: RegExp, env: NodeJS.ProcessEnv = {}): string {
  const file = write(text);
  const err = t.throws(() => loadConfig(file, env), { instanceOf: SealwatchError });
  t.is((err as SealwatchError).code, 'CONFIG');
  t.true(err?.message.startsWith(`config ${file}: `), err?.message);
  t.regex(err?.message ?? '', pattern);
  return err?.message ?? '';
}

test('the shipped example is valid against the shipped schema and resolves', (t) => {
  const c = loadConfig(EXAMPLE, ENV);
  t.is(c.source, EXAMPLE);
  t.deepEqual(c.apps[0], { name: 'ContosoChat', path: '/opt/contoso-chat', version: '1.2.3' });
  t.deepEqual(c.watch, { settleMs: 30_000, maxWaitMs: 900_000, discover: false, pollMs: 300_000, rootCheckMs: 10_000 });
  t.is(c.schedules.rescan, '0 3 * * *');
  t.deepEqual(c.alerts[0], { name: 'soc-webhook', type: 'generic', url: 'http://127.0.0.1:9000/hook', secret: 'hmac-key-1', minSeverity: 'medium' });
  t.deepEqual(c.alerts[1], { name: 'security-slack', type: 'slack', url: ENV.SEALWATCH_SLACK_URL, minSeverity: 'high' });
  t.deepEqual(c.http, { host: '127.0.0.1', port: 9464 });
  t.is(c.delivery.maxAgeMs, 72 * 3_600_000);
});

test('a JSON config is read too; defaults fill what is left out; relative paths are relative to the file', (t) => {
  const file = write(JSON.stringify({ apps: [{ name: 'a', path: 'apps/a' }], database: 'db/s.db', alerts: [{ type: 'discord', url: 'https://discord.example/api/webhooks/1/x' }] }), 'sealwatch.json');
  const c = loadConfig(file, {});
  const dir = resolve(file, '..');
  t.is(c.apps[0]?.path, join(dir, 'apps/a'));
  t.is(c.database, join(dir, 'db/s.db'));
  t.deepEqual(c.watch, { settleMs: 30_000, maxWaitMs: 900_000, discover: false, pollMs: 300_000, rootCheckMs: 10_000 });
  t.deepEqual(c.alerts, [{ name: 'alerts[0]', type: 'discord', url: 'https://discord.example/api/webhooks/1/x', minSeverity: 'medium' }]);
  t.is(c.http, undefined);
  t.is(c.log.level, 'info');
  t.deepEqual(c.schedules, { rescan: '0 3 * * *', maintenance: '30 3 * * *', manifests: '*/30 * * * *' });
});

test('schema errors name the line and the field path, each on its own line', (t) => {
  const msg = refused(t, 'apps:\n  - name: a\n    path: /x\n    pth: 3\nwatch:\n  settle: 3 sec\n', /line 4: apps\[0\]\.pth: unknown field \(known: name, path, version, vendor, manifest, manifest_keys\)/);
  t.regex(msg, /\n.*line 6: watch\.settle: must be a duration such as 500ms, 2s, 5m or 1h$/);
  refused(t, 'apps:\n  - name: a\n', /line 2: apps\[0\]\.path: is required/);
  refused(t, 'apps:\n  - name: a\n    path: /x\nalerts:\n  - type: slack\n    url: https://h/x\n    min_severity: severe\n', /line 7: alerts\[0\]\.min_severity: must be one of info, low, medium, high, critical/);
  refused(t, 'apps:\n  - name: a\n    path: /x\nalerts:\n  - type: pager\n    url: https://h/x\n', /alerts\[0\]\.type: must be one of generic, slack, teams, discord/);
  refused(t, 'apps:\n  - name: a\n    path: /x\nalerts:\n  - type: slack\n', /line 5: alerts\[0\]: give url or url_env/);
  refused(t, 'apps:\n  - name: a\n    path: /x\nalerts:\n  - type: slack\n    url: https://h/x\n    url_env: X\n', /alerts\[0\]: give exactly one of url or url_env/);
  refused(t, 'apps:\n  - name: a\n    path: /x\nhttp:\n  host: 0.0.0.0\n  port: 9464\n', /http\.host: must be one of 127\.0\.0\.1, ::1, localhost/);
  refused(t, 'apps:\n  - name: a\n    path: /x\nworkers: 0\n', /line 4: workers: must be >= 1/);
  refused(t, 'apps: [\n', /line 2, column 1: not valid YAML/);
});

test('meaning errors: max_wait shorter than settle, a bad cron, duplicate apps, nothing to watch', (t) => {
  refused(t, 'apps:\n  - name: a\n    path: /x\nwatch:\n  settle: 2m\n  max_wait: 1m\n', /line 6: watch\.max_wait: must not be shorter than watch\.settle \(2m\)/);
  refused(t, 'apps:\n  - name: a\n    path: /x\nschedules:\n  rescan: "61 * * * *"\n', /line 5: schedules\.rescan: not a valid node-cron expression/);
  refused(t, 'apps:\n  - name: a\n    path: /x\nschedules:\n  manifests: "every hour"\n', /line 5: schedules\.manifests: not a valid node-cron expression/);
  refused(t, 'apps:\n  - name: a\n    path: /x\n  - name: a\n    path: /y\n', /line 4: apps\[1\]\.name: app "a" is configured twice/);
  refused(t, 'apps: []\n', /apps: lists no app/);
  refused(t, 'apps:\n  - name: a\n    path: /x\nschedules:\n  timezone: Mars/Olympus\n', /schedules\.timezone: unknown time zone/);
});

test('url_env and secret_env come from the environment; a missing one is named, a value never shown', (t) => {
  const text = 'apps:\n  - name: a\n    path: /x\nalerts:\n  - type: generic\n    url_env: HOOK\n    secret_env: HOOK_KEY\n';
  const c = loadConfig(write(text), { HOOK: 'https://receiver.example/hook?token=abc', HOOK_KEY: 'k3y' });
  t.like(c.alerts[0], { url: 'https://receiver.example/hook?token=abc', secret: 'k3y' });
  refused(t, text, /line 7: alerts\[0\]\.secret_env: environment variable HOOK_KEY is not set/, { HOOK: 'https://receiver.example/hook' });
  const msg = refused(t, text, /alerts\[0\]\.url_env: not an http:\/\/ or https:\/\/ URL \(value not shown/, { HOOK: 'gopher://s3cret-token', HOOK_KEY: 'k' });
  t.false(msg.includes('s3cret-token'));
  refused(t, 'apps:\n  - name: a\n    path: /x\nalerts:\n  - type: slack\n    url: https://h/x\n    secret: s\n', /alerts\[0\]\.secret: only the generic type signs its requests/);
  refused(t, 'apps:\n  - name: a\n    path: /x\nalerts:\n  - type: slack\n    url: https://h/x\n  - type: teams\n    name: alerts[0]\n    url: https://h/y\n', /alerts\[1\]\.name: destination name "alerts\[0\]" is used twice/);
});

test('an unreadable config names the file; --config beats SEALWATCH_CONFIG beats the per-OS default', (t) => {
  const err = t.throws(() => loadConfig('/nonexistent/sealwatch.yaml', {}), { instanceOf: SealwatchError });
  t.regex(err?.message ?? '', /^config \/nonexistent\/sealwatch\.yaml: cannot be read: ENOENT/);
  t.is(configPath('a.yaml', { SEALWATCH_CONFIG: 'b.yaml' }), 'a.yaml');
  t.is(configPath(undefined, { SEALWATCH_CONFIG: 'b.yaml' }), 'b.yaml');
  t.is(configPath(undefined, {}, 'linux'), '/etc/sealwatch/sealwatch.yaml');
  t.is(configPath(undefined, {}, 'darwin'), '/Library/Application Support/sealwatch/sealwatch.yaml');
  t.is(configPath(undefined, { ProgramData: 'D:\\PD' }, 'win32'), join('D:\\PD', 'sealwatch', 'sealwatch.yaml'));
});

test('durations: 500ms 2s 5m 1h, nothing else', (t) => {
  t.is(parseDuration('500ms'), 500);
  t.is(parseDuration('2s'), 2_000);
  t.is(parseDuration('5m'), 300_000);
  t.is(parseDuration('1h'), 3_600_000);
  for (const bad of ['', '5', '1.5s', '-1s', '2 s', '1d', 's']) t.is(parseDuration(bad), undefined, bad);
  t.is(formatDuration(90_000), '90s');
  t.is(formatDuration(300_000), '5m');
  t.is(formatDuration(1_500), '1500ms');
});

test('the schema itself compiles in strict mode and rejects what the loader would', (t) => {
  const validate = new Ajv({ strict: true, strictRequired: false }).compile(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as object);
  t.true(validate({ apps: [{ name: 'a', path: '/x' }] }));
  t.false(validate({ apps: [{ name: 'a', path: '/x' }], alerts: [{ type: 'generic', url: 'https://h', secret: 'a', secret_env: 'B' }] }));
  t.false(validate({}));
});

test('a config that is a FIFO or far too large is refused at once, naming the file (a FIFO would hang start-up)', (t) => {
  const fifo = join(tempDir('sealwatch-config-'), 'sealwatch.yaml');
  execFileSync('mkfifo', [fifo]);
  t.throws(() => loadConfig(fifo, {}), { instanceOf: SealwatchError, message: `config ${fifo}: cannot be read: not a regular file` });
  const big = write('database: /tmp/x.db\n');
  truncateSync(big, 5 << 20);
  t.throws(() => loadConfig(big, {}), { instanceOf: SealwatchError, message: /^config .*: cannot be read: 5242880 bytes, over the 4194304-byte bound$/ });
});
