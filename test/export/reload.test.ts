// An export sink removed by a real hot config reload, with the real daemon as a child process, a real SQLite file and
// a strict _bulk receiver on 127.0.0.1: its pending row is held (not attempted, not dead; `export list` says so), then
// the config brings the sink back under the same name and the row is delivered there.
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jsonLines, sealwatch } from '../helpers/cli.ts';
import { DaemonProcess, logLines, setup, waitForLog } from '../daemon/harness.ts';
import { bulkReceiver } from './receivers.ts';

test.serial('hot reload removes the export sink → its pending row is held; the same name back → delivered to it', async (t) => {
  const es = await bulkReceiver();
  t.teardown(() => es.close());
  // Every request fails until the sink comes back, so the baseline's row is still pending when the reload removes it.
  es.failNext(1_000, 500);
  const base = setup({ extra: ['export:', '  - name: elastic', '    type: elasticsearch', '    url_env: E2E_ES_URL'].join('\n') });
  const s = { ...base, env: { ...base.env, E2E_ES_URL: es.url } };
  writeFileSync(join(s.appRoot, 'readme.txt'), 'v1\n');
  const original = readFileSync(s.configFile, 'utf8');
  const withoutExport = original.replace(/export:\n(?: {2}.*\n)+/, '');
  t.not(withoutExport, original);
  const d = new DaemonProcess(s);
  try {
    await waitForLog(s, d.pid, (l) => l.message === 'export failed' && l.sink === 'elastic', 'the failed first batch');

    writeFileSync(s.configFile, withoutExport);
    await waitForLog(s, d.pid, (l) => l.message === 'config reloaded', 'the reload without the sink');
    const held = await waitForLog(s, d.pid, (l) => l.message === 'export held: its sink was removed from the config' && l.sink === 'elastic', 'the row held');
    const attempts = es.requests.length;
    const listed = jsonLines((await sealwatch(['export', 'list', '--db', s.db, '--json'])).stdout);
    t.is(listed.length, 1);
    t.like(listed[0], { sink: 'elastic', state: 'pending', sink_removed: true, snapshot: held.snapshot_id, next_attempt_at: held.held_until });
    t.regex(String(listed[0]?.last_error), /^waiting: sink elastic was removed from the config; held until it comes back or /);
    t.false(logLines(s).some((l) => l.message === 'export dead-lettered'), 'not dead');

    es.failNext(0, 500);
    writeFileSync(s.configFile, original);
    await waitForLog(s, d.pid, (l) => l.message === 'export released: its sink is configured again' && l.snapshot_id === held.snapshot_id, 'the row released');
    await waitForLog(s, d.pid, (l) => l.message === 'export delivered' && l.sink === 'elastic' && l.snapshot_id === held.snapshot_id, 'the delivery');
    t.is(es.requests.length, attempts + 1, 'no attempt while it was held; one batch after');
    t.true(es.docs.size > 0);
    t.like(jsonLines((await sealwatch(['export', 'list', '--db', s.db, '--json'])).stdout)[0], { sink: 'elastic', state: 'sent', sink_removed: false });
  } finally {
    t.is((await d.stop()).code, 0, d.stderr);
  }
  t.deepEqual(es.violations, []);
});
