// Config `export:`: sinks resolved (url_env / token_env from the environment, paths relative to the file, defaults),
// and every mistake refused naming the file, the line and the field — never showing a URL or token.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { effectiveValues } from '../../daemon/cli/config.ts';
import { loadConfig, loadLayered } from '../../daemon/config/config.ts';
import { SealwatchError } from '../../daemon/shared/errors.ts';
import { tempDir } from '../helpers/temp.ts';

function write(text: string): string {
  const file = join(tempDir('sealwatch-export-config-'), 'sealwatch.yaml');
  writeFileSync(file, text);
  return file;
}

const APPS = 'apps:\n  - name: a\n    path: /opt/a\n';

function refused(t: import('ava').ExecutionContext, exportYaml: string, pattern: RegExp, env: NodeJS.ProcessEnv = {}): string {
  const file = write(`${APPS}export:\n${exportYaml}`);
  const err = t.throws(() => loadConfig(file, env), { instanceOf: SealwatchError });
  t.is((err as SealwatchError).code, 'CONFIG');
  t.true(err?.message.startsWith(`config ${file}: `), err?.message);
  t.regex(err?.message ?? '', pattern);
  return err?.message ?? '';
}

test('sinks resolve: env values read, the file path made absolute, defaults filled', (t) => {
  const file = write(`${APPS}export:
  - name: ch
    type: clickhouse
    url_env: CH_URL
    user: sealwatch
    token_env: CH_PASSWORD
    table: fleet.events
  - type: ndjson
    path: out/events.ndjson
    max_size_mb: 2
    max_files: 3
  - name: hec
    type: splunk
    url: https://splunk.example:8088
    token: t0k
    min_severity: high
    send: [scans, findings]
    batch: 50
`);
  const c = loadConfig(file, { CH_URL: 'https://ch.example:8443', CH_PASSWORD: 'pw' });
  t.deepEqual(c.exports[0], { name: 'ch', type: 'clickhouse', url: 'https://ch.example:8443', token: 'pw', user: 'sealwatch', table: 'fleet.events', minSeverity: 'info', send: ['scans', 'findings', 'alerts', 'inventory'], batch: 500, maxBytes: 64 * 1024 * 1024, maxFiles: 5 });
  t.deepEqual(c.exports[1], { name: 'export[1]', type: 'ndjson', path: join(file, '..', 'out/events.ndjson'), minSeverity: 'info', send: ['scans', 'findings', 'alerts', 'inventory'], batch: 500, maxBytes: 2 * 1024 * 1024, maxFiles: 3 });
  t.like(c.exports[2], { name: 'hec', type: 'splunk', token: 't0k', minSeverity: 'high', send: ['scans', 'findings'], batch: 50 });
});

test('no export: is no sink', (t) => {
  t.deepEqual(loadConfig(write(APPS), {}).exports, []);
});

test('mistakes are refused at their field', (t) => {
  refused(t, '  - type: kafka\n    url: http://x\n', /line 5: export\[0\]\.type: must be one of ndjson, clickhouse, elasticsearch, splunk/);
  refused(t, '  - type: ndjson\n', /export\[0\]: an ndjson sink needs path/);
  refused(t, '  - type: elasticsearch\n', /export\[0\]: the elasticsearch sink needs url or url_env/);
  refused(t, '  - type: splunk\n    url: https://s.example\n', /export\[0\]: a splunk sink needs token or token_env/);
  refused(t, '  - type: ndjson\n    path: e.ndjson\n    url: http://x\n', /export\[0\]\.url: an ndjson sink writes a file/);
  refused(t, '  - type: elasticsearch\n    url: http://x\n    table: t\n', /export\[0\]\.table: only the clickhouse sink has a table/);
  refused(t, '  - type: clickhouse\n    url: http://x\n    table: "x; DROP TABLE y"\n', /export\[0\]\.table: must match pattern/);
  refused(t, '  - type: clickhouse\n    url: ftp://x\n', /export\[0\]\.url: must be an http:\/\/ or https:\/\/ URL/);
  refused(t, '  - type: clickhouse\n    url: http://x\n    send: []\n', /export\[0\]\.send: must NOT have fewer than 1 items/);
  refused(t, '  - type: clickhouse\n    url: http://x\n    send: [modules]\n', /export\[0\]\.send\[0\]: must be one of scans, findings, alerts, inventory/);
  refused(t, '  - type: clickhouse\n    url: http://x\n    colour: red\n', /export\[0\]\.colour: unknown field/);
  refused(t, '  - name: x\n    type: ndjson\n    path: a\n  - name: x\n    type: ndjson\n    path: b\n', /export\[1\]\.name: sink name "x" is used twice/);
});

test('secrets: both of a pair refused, a missing variable named, and no value ever in the message', (t) => {
  refused(t, '  - type: splunk\n    url: https://s.example\n    token: abc123secret\n    token_env: T\n', /export\[0\]: give url or url_env and token or token_env, not both of a pair/);
  const m = refused(t, '  - type: clickhouse\n    url_env: CH\n', /export\[0\]\.url_env: environment variable CH is not set/);
  t.false(m.includes('http'));
  const bad = refused(t, '  - type: clickhouse\n    url_env: CH\n', /not an http:\/\/ or https:\/\/ URL \(value not shown/, { CH: 'ch.internal:8123/?password=hunter2' });
  t.false(bad.includes('hunter2'));
});

test('config show --effective: an export sink’s url and token are redacted, its other fields shown', (t) => {
  const file = write(`${APPS}export:\n  - name: hec\n    type: splunk\n    url: https://splunk.example:8088/p4th-s3cret\n    token: hec-t0ken-99\n    index: sec\n`);
  const values = effectiveValues(loadLayered(file, {}));
  const text = JSON.stringify(values);
  t.false(text.includes('hec-t0ken-99'));
  t.false(text.includes('p4th-s3cret'));
  t.like(values.find((v) => v.field === 'export.0.token'), { value: '[redacted]' });
  t.like(values.find((v) => v.field === 'export.0.index'), { value: 'sec' });
});
