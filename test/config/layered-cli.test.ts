// `sealwatch config validate` and `config show --effective` through the real CLI (a child process, as an operator
// runs them): exit codes, the file / line / field / reason of an error, every value's source, secrets redacted.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tempDir } from '../helpers/temp.ts';

const MAIN = resolve(import.meta.dirname, '..', '..', 'daemon', 'main.ts');

function sealwatch(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } });
}

function file(text: string): string {
  const f = join(tempDir('sealwatch-cfgcli-'), 'sealwatch.yaml');
  writeFileSync(f, text);
  return f;
}

const GOOD = 'apps:\n  - name: a\n    path: /opt/a\nalerts:\n  - name: soc\n    type: generic\n    url: https://hooks.example/T0K3N\n    secret: hm4c-key\n  - name: chat\n    type: slack\n    url_env: SLACK_HOOK_VAR\n';

test('config validate: a good file exits 0; a bad one, or a world-writable one, exits 2 naming file, line, field and reason', (t) => {
  const ok = sealwatch(['config', 'validate', file(GOOD)], { SLACK_HOOK_VAR: 'https://hooks.slack.com/services/X' });
  t.is(ok.status, 0, ok.stderr);
  t.regex(ok.stdout, /valid: 1 app, 2 alert destinations/);
  const badFile = file('apps:\n  - name: a\n    path: /opt/a\nwatch:\n  settle: 5 minutes\n');
  const bad = sealwatch(['config', 'validate', badFile]);
  t.is(bad.status, 2);
  t.is(bad.stderr.trim(), `config ${badFile}: line 5: watch.settle: must be a duration such as 500ms, 2s, 5m or 1h`);
  const env = sealwatch(['config', 'validate', file('apps:\n  - name: a\n    path: /opt/a\n')], { SEALWATCH_LOG_LEVEL: 'chatty' });
  t.is(env.status, 2);
  t.regex(env.stderr, /from env SEALWATCH_LOG_LEVEL: log\.level: must be one of error, warn, info, debug/);
  const open = file('apps:\n  - name: a\n    path: /opt/a\n');
  chmodSync(open, 0o666);
  const refused = sealwatch(['config', 'validate', open]);
  t.is(refused.status, 2);
  t.is(refused.stderr.trim(), `config ${open}: refused: non-admin users can change it: the file ${open} is world-writable (mode 0666; chmod o-w ${open})`);
});

test('config show --effective: each value and its layer; URLs, secrets, tokens and *_env names redacted', (t) => {
  const f = file(GOOD);
  writeFileSync(f, `${GOOD}export:\n  - name: es\n    type: elasticsearch\n    url: https://es.example:9200\n    token: es-t0ken-value\n`);
  const r = sealwatch(['config', 'show', '--effective', '--config', f, '--set', 'log.level=debug'], { SLACK_HOOK_VAR: 'https://hooks.slack.com/services/X', SEALWATCH_WATCH_SETTLE: '10s' });
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /^# layers, lowest first: default < file .*sealwatch\.yaml < environment < command line$/m);
  t.regex(r.stdout, /^watch\.settle +"10s" +# env SEALWATCH_WATCH_SETTLE$/m);
  t.regex(r.stdout, /^watch\.max_wait +"15m" +# default$/m);
  t.regex(r.stdout, /^log\.level +"debug" +# --set log\.level$/m);
  t.regex(r.stdout, /^apps\.0\.path +"\/opt\/a" +# file /m);
  t.regex(r.stdout, /^alerts\.0\.url +"\[redacted\]"/m);
  t.regex(r.stdout, /^alerts\.0\.secret +"\[redacted\]"/m);
  t.regex(r.stdout, /^alerts\.1\.url_env +"\[redacted\]"/m);
  t.regex(r.stdout, /^export\.0\.token +"\[redacted\]"/m);
  for (const secret of ['T0K3N', 'hm4c-key', 'SLACK_HOOK_VAR', 'hooks.slack.com', 'es-t0ken-value', 'es.example']) t.false(r.stdout.includes(secret), secret);
  const json = sealwatch(['config', 'show', '--effective', '--json', '--config', f], { SLACK_HOOK_VAR: 'https://hooks.slack.com/services/X' });
  const body = JSON.parse(json.stdout) as { values: Array<{ field: string; value: unknown; source: string }> };
  t.deepEqual(body.values.find((v) => v.field === 'alerts.0.name'), { field: 'alerts.0.name', value: 'soc', source: `file ${f}` });
});

test('config validate: every problem on its own line — schema errors, unset environment variables of several destinations, bad --set keys — never joined by a literal \\n', (t) => {
  const badFile = file('apps:\n  - name: a\n  - name: b\n    path: 5\nwatch:\n  settle: nope\n');
  const bad = sealwatch(['config', 'validate', badFile]);
  t.is(bad.status, 2);
  t.deepEqual(bad.stderr.trim().split('\n'), [
    `config ${badFile}: line 2: apps[0].path: is required`,
    `config ${badFile}: line 4: apps[1].path: must be string`,
    `config ${badFile}: line 6: watch.settle: must be a duration such as 500ms, 2s, 5m or 1h`,
  ]);
  const twoEnv = file('apps:\n  - name: a\n    path: /opt/a\nalerts:\n  - name: soc\n    type: generic\n    url: https://hooks.example/x\n    secret_env: HOOK_SECRET_VAR\n  - name: chat\n    type: slack\n    url_env: SLACK_HOOK_VAR\n');
  const env = sealwatch(['config', 'validate', twoEnv]);
  t.is(env.status, 2);
  const lines = env.stderr.trim().split('\n');
  t.is(lines.length, 2, env.stderr);
  t.regex(lines[0] ?? '', /alerts\[0\]\.secret_env: environment variable HOOK_SECRET_VAR is not set/);
  t.regex(lines[1] ?? '', /alerts\[1\]\.url_env: environment variable SLACK_HOOK_VAR is not set/);
  const sets = sealwatch(['config', 'validate', file(GOOD), '--set', 'nosuch.key=1', '--set', 'bad key', '--set', 'log.level=debug'], { SLACK_HOOK_VAR: 'https://hooks.slack.com/services/X' });
  t.is(sets.status, 2);
  t.deepEqual(sets.stderr.trim().split('\n'), ['--set nosuch.key: no such config field', '--set "bad key": give FIELD=VALUE, FIELD a dotted config field such as log.level']);
  t.false(/\\n/.test(bad.stderr + env.stderr + sets.stderr));
});
