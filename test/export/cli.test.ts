// `sealwatch export list|retry` as users run them: the real CLI as a child process on a real SQLite file written by a
// real scan (fleet.ts), whose export rows a real deliverer sent to an NDJSON file, dead-lettered after a strict _bulk
// receiver on 127.0.0.1 refused them, or held for a sink the config no longer has.
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { ExportDeliverer } from '../../daemon/export/deliverer.ts';
import { type ExportSink } from '../../daemon/export/sink.ts';
import { jsonLines, sealwatch } from '../helpers/cli.ts';
import { TEST_NOW } from '../helpers/inspect.ts';
import { FFMPEG_COMMON, keepingLogger, simHost } from './fleet.ts';
import { bulkReceiver } from './receivers.ts';
import { tempDir } from '../helpers/temp.ts';

const ALL = ['scans', 'findings', 'alerts', 'inventory'] as const;
const base = { minSeverity: 'info', send: ALL, batch: 40, maxBytes: 1 << 24, maxFiles: 2 } as const;

test('export list shows sent, dead and held rows; retry queues a dead or pending row again, never a sent one', async (t) => {
  const es = await bulkReceiver();
  const h = simHost('cli-host', 7, FFMPEG_COMMON, ['file', 'elastic', 'gone']);
  t.teardown(async () => (await es.close(), await h.close()));
  const file = join(tempDir('sealwatch-export-cli-'), 'events.ndjson');
  const sinks: ExportSink[] = [
    { ...base, name: 'file', type: 'ndjson', path: file },
    { ...base, name: 'elastic', type: 'elasticsearch', url: `${es.url}/es-path-s3cr3t/` },
  ];
  await h.scan(0);
  // elastic refuses the first batch and has one attempt: dead. `gone` is not configured: held.
  es.failNext(1, 503);
  const now = new Date(TEST_NOW.getTime() + 60_000);
  const d = new ExportDeliverer(h.store, sinks, { logger: keepingLogger(), host: h.facts, now: () => now, maxAttempts: 1 });
  await d.deliverDue();
  const db = h.store.file;

  const text = await sealwatch(['export', 'list', '--db', db]);
  t.is(text.code, 0, text.stderr);
  const lines = text.stdout.trim().split('\n');
  t.is(lines[0], '3 exports: 1 pending, 1 sent, 1 dead');
  t.regex(lines[1] ?? '', /^ID\s+STATE\s+SINK\s+APP\s+SNAPSHOT\s+EVENTS SENT\s+ATTEMPTS\s+WHEN\s+LAST ERROR$/);
  t.regex(lines.find((l) => / elastic /.test(l)) ?? '', /dead .*\(baseline\) .* 1 +dead \S+ +HTTP 503/);
  t.regex(lines.find((l) => / gone /.test(l)) ?? '', /pending .* 0 +0 +waiting for removed sink \(dead at \S+\) +waiting: sink gone was removed from the config/);
  t.false(text.stdout.includes('es-path-s3cr3t'));

  const rows = jsonLines((await sealwatch(['export', 'list', '--db', db, '--json'])).stdout);
  t.deepEqual(rows.map((r) => [r.sink, r.state, r.sink_removed]), [['file', 'sent', false], ['elastic', 'dead', false], ['gone', 'pending', true]]);
  t.deepEqual(Object.keys(rows[0] ?? {}).sort(), ['app', 'attempts', 'baseline', 'done_at', 'events_sent', 'id', 'last_attempt_at', 'last_error', 'last_status', 'next_attempt_at', 'queued_at', 'sink', 'sink_removed', 'snapshot', 'state']);
  const sentEvents = readFileSync(file, 'utf8').trim().split('\n').length;
  t.like(rows[0], { baseline: true, events_sent: sentEvents, attempts: 0, next_attempt_at: null, app: 'contoso-desktop' });
  t.like(rows[1], { events_sent: 0, attempts: 1, last_status: 503, next_attempt_at: null });
  t.like(rows[2], { attempts: 0, last_attempt_at: null });
  t.deepEqual(jsonLines((await sealwatch(['export', 'list', '--db', db, '--json', '--state', 'dead'])).stdout).map((r) => r.sink), ['elastic']);
  t.is((await sealwatch(['export', 'list', '--db', db, '--state', 'gone'])).code, 2);

  // Refused, exit 2: a sent row, a row that does not exist, not a number, neither or both of --id and --dead.
  const sent = await sealwatch(['export', 'retry', '--id', String(rows[0]?.id), '--db', db]);
  t.is(sent.code, 2);
  t.regex(sent.stderr, /export retry: export \d+ \(sink file\) was already sent; it is not sent twice/);
  t.regex((await sealwatch(['export', 'retry', '--id', '999', '--db', db])).stderr, /no export 999/);
  t.is((await sealwatch(['export', 'retry', '--id', '999', '--db', db])).code, 2);
  t.is((await sealwatch(['export', 'retry', '--id', 'x1', '--db', db])).code, 2);
  t.is((await sealwatch(['export', 'retry', '--db', db])).code, 2);
  t.is((await sealwatch(['export', 'retry', '--dead', '--id', '2', '--db', db])).code, 2);
  t.is((await sealwatch(['export', 'list', '--db', join(tmpdir(), 'sealwatch-no-such-db', 'x.db')])).code, 4, 'no database: nothing created');

  // --dead: the dead row is pending again with a fresh budget, and the deliverer sends it.
  const dead = await sealwatch(['export', 'retry', '--dead', '--db', db]);
  t.is(dead.code, 0, dead.stderr);
  t.is(dead.stdout, '1 dead export queued again (the running daemon sends them from where they stopped)\n');
  const after = jsonLines((await sealwatch(['export', 'list', '--db', db, '--json'])).stdout);
  t.like(after[1], { sink: 'elastic', state: 'pending', attempts: 0, done_at: null });
  t.true(Date.parse(String(after[1]?.queued_at)) > Date.parse(String(rows[1]?.queued_at)), 'a fresh age budget');
  // --id on the held row (its age, from the scan's test clock, is long out by the real one): due now with a fresh age;
  // its sink is still missing, so the deliverer (on the real clock) holds it again instead of dead-lettering it.
  const held = await sealwatch(['export', 'retry', '--id', String(rows[2]?.id), '--db', db]);
  t.is(held.code, 0, held.stderr);
  t.regex(held.stdout, /^export \d+ \(sink gone\) queued again \(was pending; the running daemon sends it from where it stopped\)\n$/);
  const pending = jsonLines((await sealwatch(['export', 'list', '--db', db, '--json', '--state', 'pending'])).stdout);
  t.deepEqual(pending.map((r) => [r.sink, r.sink_removed, r.attempts]), [['elastic', false, 0], ['gone', true, 0]]);
  const later = new ExportDeliverer(h.store, sinks, { logger: keepingLogger(), host: h.facts });
  await later.deliverDue();
  t.is(h.store.exportOutbox.rows()[1]?.state, 'sent');
  t.is(es.docs.size, sentEvents, 'every event once, by event.id');
  t.deepEqual(es.violations, []);
  const gone = h.store.exportOutbox.rows()[2];
  t.is(gone?.state, 'pending');
  t.true(Date.parse(gone?.next_attempt_at ?? '') > Date.now() + 71 * 3_600_000, 'held until 72 h from the retry');
});
