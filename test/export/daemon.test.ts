// `sealwatch run` with `export:` configured (the real daemon, a child process): its scans queue export rows in their
// commit and its export deliverer sends them — the baseline's whole inventory, then an update's changes — to an
// NDJSON file and to a strict _bulk receiver, with the token and URL (from the environment) in no log line.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { DEFAULT_TRUST_DIR } from '../../daemon/config/trust-dir.ts';
import { put, writeElectronApp } from '../helpers/electron-app.ts';
import { realCorpusPath } from '../helpers/real-corpus.ts';
import { DaemonProcess, MAIN, setup, waitForLog } from '../daemon/harness.ts';
import { bulkReceiver } from './receivers.ts';

const KEY = 'es-api-key-c0ffee-77';

test('the daemon exports each scan: baseline inventory, then the update’s changed module, to a file and to _bulk', async (t) => {
  const es = await bulkReceiver();
  t.teardown(() => es.close());
  const base = setup({ trust: [DEFAULT_TRUST_DIR], extra: ['export:', '  - name: file', '    type: ndjson', '    path: events/sealwatch.ndjson', '  - name: elastic', '    type: elasticsearch', '    url_env: E2E_ES_URL', '    token_env: E2E_ES_KEY', '    index: logs-sealwatch-e2e'].join('\n') });
  const s = { ...base, env: { ...base.env, E2E_ES_URL: `${es.url}/es-path-s3cr3t`, E2E_ES_KEY: KEY } };
  writeElectronApp(s.appRoot);
  const d = new DaemonProcess(s);
  try {
    await waitForLog(s, d.pid, (l) => l.message === 'export delivered' && l.sink === 'elastic' && l.baseline === true, 'the baseline export to elastic');
    await waitForLog(s, d.pid, (l) => l.message === 'export delivered' && l.sink === 'file' && l.baseline === true, 'the baseline export to the file');
    const baseline = es.docs.size;
    t.true(baseline > 10);
    t.true(es.requests.every((q) => q.headers.authorization === `ApiKey ${KEY}` && q.url.startsWith('/es-path-s3cr3t/_bulk')));
    // An update: a new signed DLL beside the executable.
    put(s.appRoot, 'ffmpeg.dll', readFileSync(realCorpusPath('conpty')));
    await waitForLog(s, d.pid, (l) => l.message === 'export delivered' && l.sink === 'elastic' && l.baseline === false, 'the update export');
    const added = [...es.docs.values()].filter((x) => (x.file as { name?: string } | undefined)?.name === 'ffmpeg.dll' && (x.event as { dataset: string }).dataset === 'sealwatch.module');
    t.is(added.length, 1);
    t.deepEqual((added[0]?.event as { type: string[] }).type, ['creation']);
  } finally {
    t.is((await d.stop()).code, 0, d.stderr);
  }
  t.deepEqual(es.violations, []);
  const file = readFileSync(join(s.dir, 'events', 'sealwatch.ndjson'), 'utf8');
  const ids = file.trim().split('\n').map((l) => (JSON.parse(l) as { event: { id: string } }).event.id);
  t.deepEqual(new Set(ids), new Set(es.docs.keys()), 'the file and the index hold the same events');
  // `sealwatch status`: the export outbox, read from the database.
  const st = spawnSync(process.execPath, [MAIN, 'status', '--json', '--config', s.configFile], { env: s.env, encoding: 'utf8' });
  t.is(st.status, 0, st.stderr);
  const out = JSON.parse(st.stdout) as { export_outbox: { pending: number; sent: number; dead: number }; last_export_error: unknown };
  t.like(out, { export_outbox: { pending: 0, dead: 0 }, last_export_error: null });
  // One row per sink per scan (the update may have settled as one scan or, with a slow write, two).
  t.true(out.export_outbox.sent >= 4 && out.export_outbox.sent % 2 === 0, String(out.export_outbox.sent));
  const text = spawnSync(process.execPath, [MAIN, 'status', '--config', s.configFile], { env: s.env, encoding: 'utf8' });
  t.regex(text.stdout, new RegExp(`export outbox: 0 pending, 0 dead, ${out.export_outbox.sent} sent\n`));
  const log = readFileSync(s.logFile, 'utf8');
  t.false(log.includes(KEY));
  t.false(log.includes('es-path-s3cr3t'));
});
