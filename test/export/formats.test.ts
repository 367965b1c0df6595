// Export bodies against the services' documented formats, on real HTTP receivers that parse them strictly
// (receivers.ts), and the export outbox's durability: rows queued in the scan's commit, a cursor that survives a
// failed batch and a restart, a lost answer re-sent without duplicates, secrets kept out of logs and errors, and the
// NDJSON file rotated by size. One simulated host scanning a real Electron-shaped app (fleet.ts).
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { ExportDeliverer } from '../../daemon/export/deliverer.ts';
import { type ExportSink } from '../../daemon/export/sink.ts';
import { Store } from '../../daemon/inventory/store/store.ts';
import { put } from '../helpers/electron-app.ts';
import { TEST_NOW } from '../helpers/inspect.ts';
import { realCorpusPath } from '../helpers/real-corpus.ts';
import { FFMPEG_COMMON, FFMPEG_ODD, keepingLogger, simHost } from './fleet.ts';
import { bulkReceiver, hecReceiver } from './receivers.ts';
import { sha256File } from './sha.ts';
import { tempDir } from '../helpers/temp.ts';

const ALL = ['scans', 'findings', 'alerts', 'inventory'] as const;
const TOKEN = 'hec-t0ken-4f1d9c2e-8b7a';

function sink(over: Partial<ExportSink> & Pick<ExportSink, 'name' | 'type'>): ExportSink {
  return { minSeverity: 'info', send: ALL, batch: 5, maxBytes: 1 << 20, maxFiles: 2, ...over };
}

/** A clock the test moves: retries are due only once it has passed their next_attempt_at. */
function clock(): { now: () => Date; advance: (ms: number) => void } {
  let t = TEST_NOW.getTime() + 3_600_000;
  return { now: () => new Date(t), advance: (ms) => void (t += ms) };
}

/** Everything one snapshot should export: its summary, findings and alerts, its opened and ended entries. */
function expectedEvents(store: Store, snapshotId: number, baseline: boolean): number {
  const findings = store.findings({ snapshotId }).length;
  const modules = baseline ? (store.snapshot(snapshotId)?.files as number) : store.exportOutbox.opened(snapshotId, 0, 1e6).length + store.exportOutbox.ended(snapshotId, 0, 1e6).length;
  return 1 + findings + modules;
}

test('Elasticsearch _bulk: NDJSON action/source pairs, newline-terminated, create with _id = event.id; ECS documents', async (t) => {
  const es = await bulkReceiver();
  const h = simHost('es-host', 4, FFMPEG_COMMON, ['elastic', 'gone-sink']);
  t.teardown(async () => (await es.close(), await h.close()));
  const r = await h.scan(0);
  // Queued in the scan's own commit: one row per sink named, before anything is sent.
  t.deepEqual(h.store.exportOutbox.rows().map((x) => [x.sink, x.snapshot_id, x.state, x.baseline]), [['elastic', r.snapshotId, 'pending', 1], ['gone-sink', r.snapshotId, 'pending', 1]]);
  const c = clock();
  const logger = keepingLogger();
  await new ExportDeliverer(h.store, [sink({ name: 'elastic', type: 'elasticsearch', url: `${es.url}/`, index: 'logs-sealwatch-test' })], { logger, host: h.facts, now: c.now }).deliverDue();
  t.deepEqual(es.violations, []);
  const rows = h.store.exportOutbox.rows();
  t.is(rows.find((x) => x.sink === 'elastic')?.state, 'sent');
  // A sink no longer configured: held, not attempted, saying so (like an alert destination; held.test.ts goes on).
  t.like(rows.find((x) => x.sink === 'gone-sink'), { state: 'pending', attempts: 0, events_sent: 0 });
  t.regex(rows.find((x) => x.sink === 'gone-sink')?.last_error ?? '', /^waiting: sink gone-sink was removed from the config; held until it comes back or /);
  const expected = expectedEvents(h.store, r.snapshotId, true);
  t.is(es.docs.size, expected);
  t.is(es.requests.length, Math.ceil(expected / 5));
  for (const q of es.requests) {
    t.true(q.url.startsWith('/_bulk?filter_path='));
    t.true(q.body.endsWith('}\n'));
  }
  const ffmpeg = [...es.docs.values()].find((d) => (d.file as { name?: string } | undefined)?.name === 'ffmpeg.dll') as Record<string, any>;
  t.truthy(ffmpeg);
  t.deepEqual(ffmpeg.event.category, ['file']);
  t.deepEqual(ffmpeg.event.type, ['info']);
  t.is(ffmpeg.event.kind, 'state');
  t.is(ffmpeg.event.dataset, 'sealwatch.module');
  t.is(ffmpeg.host.name, 'es-host');
  t.is(ffmpeg.host.os.type, 'windows');
  t.is(ffmpeg.file.hash.sha256, sha256File(realCorpusPath(FFMPEG_COMMON)));
  t.is(ffmpeg.file.path, join(h.root, 'ffmpeg.dll'));
  t.is(ffmpeg.file.extension, 'dll');
  t.is(ffmpeg.code_signature.exists, true);
  t.is(ffmpeg.code_signature.trusted, true);
  t.regex(ffmpeg.code_signature.subject_name, /Microsoft Corporation/);
  t.regex(ffmpeg.code_signature.timestamp, /^20\d\d-/);
  t.deepEqual(ffmpeg.file.code_signature, ffmpeg.code_signature);
  t.is(typeof ffmpeg.file.x509.not_after, 'string');
  t.is(ffmpeg.sealwatch.app, 'contoso-desktop');
  t.is(ffmpeg.sealwatch.path, 'ffmpeg.dll');
  t.is(ffmpeg['@timestamp'], TEST_NOW.toISOString());
  for (const [id, d] of es.docs) t.is((d.event as { id: string }).id, id);
  const scan = [...es.docs.values()].find((d) => (d.event as { dataset: string }).dataset === 'sealwatch.scan') as Record<string, any>;
  t.is(scan.sealwatch.baseline, true);
  t.is(scan.sealwatch.files, h.store.snapshot(r.snapshotId)?.files);
  t.deepEqual(scan.event.type, ['installation']);
  t.is(logger.said.filter((s) => s.message === 'export delivered').length, 1);
});

test('a lost answer is sent again from the same cursor: the service answers 409 for what it has, nothing is doubled', async (t) => {
  const es = await bulkReceiver();
  const h = simHost('lost-host', 5, FFMPEG_COMMON, ['elastic']);
  t.teardown(async () => (await es.close(), await h.close()));
  const r = await h.scan(0);
  const c = clock();
  const s = sink({ name: 'elastic', type: 'elasticsearch', url: es.url });
  es.failNext(1, 502);
  const logger = keepingLogger();
  const d = new ExportDeliverer(h.store, [s], { logger, host: h.facts, now: c.now, random: () => 0.5 });
  await d.deliverDue();
  const [row] = h.store.exportOutbox.rows();
  t.is(row?.state, 'pending');
  t.is(row?.events_sent, 0);
  t.is(row?.attempts, 1);
  t.is(row?.last_status, 502);
  t.is(es.docs.size, 5, 'the service stored the first batch and its answer was lost');
  // Not due yet: nothing is tried.
  await d.deliverDue();
  t.is(es.requests.length, 1);
  c.advance(60_000);
  await d.deliverDue();
  t.is(h.store.exportOutbox.rows()[0]?.state, 'sent');
  t.is(es.docs.size, expectedEvents(h.store, r.snapshotId, true));
  t.deepEqual(es.violations, []);
  const retried = JSON.parse(es.requests[1]?.body.split('\n')[0] ?? '{}') as { create: { _id: string } };
  const first = JSON.parse(es.requests[0]?.body.split('\n')[0] ?? '{}') as { create: { _id: string } };
  t.is(retried.create._id, first.create._id, 'the same batch, with the same ids');
  t.truthy(logger.said.find((x) => x.level === 'warn' && x.message === 'export failed'));
});

test('a refused item fails the batch; the cursor survives a restart and the rest follows from it', async (t) => {
  let block = true;
  const es = await bulkReceiver({ refuse: (src) => block && (src.event as { dataset: string }).dataset === 'sealwatch.module' && (src.sealwatch as { entry_id: number }).entry_id > 6 });
  const h = simHost('restart-host', 6, FFMPEG_COMMON, ['elastic']);
  t.teardown(async () => (await es.close(), await h.close()));
  const r = await h.scan(0);
  const c = clock();
  const s = sink({ name: 'elastic', type: 'elasticsearch', url: es.url });
  await new ExportDeliverer(h.store, [s], { logger: keepingLogger(), host: h.facts, now: c.now }).deliverDue();
  const [row] = h.store.exportOutbox.rows();
  t.is(row?.state, 'pending');
  t.true((row?.events_sent ?? 0) > 0);
  t.not(row?.cursor, '');
  t.regex(row?.last_error ?? '', /^_bulk: \d+ item\(s\) refused \(document_parsing_exception: failed to parse field \[file\.size\]\)/);
  const before = es.requests.length;
  // A restart: another connection, another deliverer; the cursor is in the database.
  const again = Store.open(h.store.file);
  t.teardown(() => again.close());
  block = false;
  c.advance(60_000);
  await new ExportDeliverer(again, [s], { logger: keepingLogger(), host: h.facts, now: c.now }).deliverDue();
  t.is(again.exportOutbox.rows()[0]?.state, 'sent');
  t.is(es.docs.size, expectedEvents(again, r.snapshotId, true));
  // The first request after the restart starts where the refused batch started: nothing already taken is sent again.
  const resent = JSON.parse(es.requests[before]?.body.split('\n')[0] ?? '{}') as { create: { _id: string } };
  const refused = JSON.parse(es.requests[before - 1]?.body.split('\n')[0] ?? '{}') as { create: { _id: string } };
  t.is(resent.create._id, refused.create._id);
});

test('Splunk HEC: envelopes with time, host, source, sourcetype, index and event; only what the sink asks for', async (t) => {
  const hec = await hecReceiver(TOKEN);
  const h = simHost('hec-host', 7, FFMPEG_COMMON, ['splunk']);
  t.teardown(async () => (await hec.close(), await h.close()));
  await h.scan(0);
  // An update: ffmpeg.dll replaced by another signed build on the same version (findings follow).
  put(h.root, 'ffmpeg.dll', readFileSync(realCorpusPath(FFMPEG_ODD)));
  const r2 = await h.scan(5);
  t.true(r2.findings.some((f) => f.severity === 'high' || f.severity === 'critical' || f.severity === 'medium'));
  const c = clock();
  await new ExportDeliverer(h.store, [sink({ name: 'splunk', type: 'splunk', url: hec.url, token: TOKEN, index: 'sealwatch', send: ['scans', 'findings'], minSeverity: 'medium' })], { logger: keepingLogger(), host: h.facts, now: c.now }).deliverDue();
  t.deepEqual(hec.violations, []);
  t.true(hec.requests.every((q) => q.headers.authorization === `Splunk ${TOKEN}` && q.headers['content-type'] === 'application/json'));
  t.true(h.store.exportOutbox.rows().every((x) => x.state === 'sent'));
  const kinds = new Set(hec.docs.map((e) => e.sourcetype));
  t.deepEqual([...kinds].sort(), ['sealwatch:finding', 'sealwatch:scan']);
  for (const e of hec.docs) {
    const ev = e.event as Record<string, any>;
    t.is(e.host, 'hec-host');
    t.is(e.source, 'sealwatch');
    t.is(e.index, 'sealwatch');
    t.is(e.time, Date.parse(ev['@timestamp']) / 1000);
    if (ev.event.dataset === 'sealwatch.finding') t.true(['medium', 'high', 'critical'].includes(ev.sealwatch.severity), ev.sealwatch.severity);
  }
  const stored = h.store.findings({}).filter((f) => ['medium', 'high', 'critical'].includes(f.severity));
  t.is(hec.docs.filter((e) => e.sourcetype === 'sealwatch:finding').length, stored.length);
  t.is(hec.docs.filter((e) => e.sourcetype === 'sealwatch:scan').length, 2);
  const finding = hec.docs.find((e) => e.sourcetype === 'sealwatch:finding')?.event as Record<string, any>;
  t.is(finding.event.kind, 'alert');
  t.is(typeof finding.event.severity, 'number');
  t.truthy(finding.rule.id);
});

test('a refused token or an unreachable service: the error, the log and the outbox never show the token or the URL', async (t) => {
  const hec = await hecReceiver('the-right-token');
  const h = simHost('secret-host', 8, FFMPEG_COMMON, ['splunk', 'down']);
  t.teardown(async () => (await hec.close(), await h.close()));
  await h.scan(0);
  const c = clock();
  const logger = keepingLogger();
  const down = 'http://127.0.0.1:9/collector-s3cr3t-path-0f9e';
  await new ExportDeliverer(h.store, [sink({ name: 'splunk', type: 'splunk', url: `${hec.url}/`, token: TOKEN }), sink({ name: 'down', type: 'splunk', url: down, token: TOKEN })], { logger, host: h.facts, now: c.now }).deliverDue();
  const rows = h.store.exportOutbox.rows();
  t.is(rows.find((x) => x.sink === 'splunk')?.last_status, 403);
  t.regex(rows.find((x) => x.sink === 'splunk')?.last_error ?? '', /HTTP 403: \{"text":"Invalid token","code":4\}/);
  t.regex(rows.find((x) => x.sink === 'down')?.last_error ?? '', /ECONNREFUSED/);
  const everything = JSON.stringify({ said: logger.said, rows });
  for (const secret of [TOKEN, 's3cr3t-path', hec.url, down]) t.false(everything.includes(secret), secret);
  t.true(rows.every((x) => x.state === 'pending' && x.attempts === 1));
});

test('NDJSON file: one ECS event per line, fsynced, renamed at max size and at most max_files old files kept', async (t) => {
  const h = simHost('file-host', 9, FFMPEG_COMMON, ['file']);
  t.teardown(() => h.close());
  const r = await h.scan(0);
  const dir = tempDir('sealwatch-ndjson-');
  const path = join(dir, 'events.ndjson');
  const maxBytes = 4 * 1024;
  await new ExportDeliverer(h.store, [sink({ name: 'file', type: 'ndjson', path, maxBytes, maxFiles: 2, batch: 1 })], { logger: keepingLogger(), host: h.facts, now: clock().now }).deliverDue();
  t.is(h.store.exportOutbox.rows()[0]?.state, 'sent');
  t.deepEqual(readdirSync(dir).sort(), ['events.ndjson', 'events.ndjson.1', 'events.ndjson.2']);
  const lines: string[] = [];
  for (const f of ['events.ndjson.2', 'events.ndjson.1', 'events.ndjson']) {
    const text = readFileSync(join(dir, f), 'utf8');
    t.true(text.endsWith('\n'));
    // Never past the size, unless one batch alone is larger (it is not split: a batch is the unit the cursor moves by).
    t.true(statSync(join(dir, f)).size <= maxBytes || text.split('\n').length === 2, f);
    lines.push(...text.slice(0, -1).split('\n'));
  }
  const events = lines.map((l) => JSON.parse(l) as { event: { id: string; dataset: string } });
  // The oldest files were dropped: what is left is the tail of the stream, in order, each event once.
  t.true(events.length < expectedEvents(h.store, r.snapshotId, true));
  t.is(new Set(events.map((e) => e.event.id)).size, events.length);
  t.is(events.at(-1)?.event.dataset, 'sealwatch.module');
  t.false(existsSync(`${path}.3`));
});

test('a large baseline goes out in bounded batches: 3,000 files, never more than `batch` events in a request', async (t) => {
  const es = await bulkReceiver();
  const h = simHost('big-host', 10, FFMPEG_COMMON, ['elastic']);
  t.teardown(async () => (await es.close(), await h.close()));
  for (let i = 0; i < 3000; i++) writeFileSync(join(h.root, 'resources', `locale-${i}.pak`), `strings ${i}\n`);
  const r = await h.scan(0);
  await new ExportDeliverer(h.store, [sink({ name: 'elastic', type: 'elasticsearch', url: es.url, batch: 500 })], { logger: keepingLogger(), host: h.facts, now: clock().now }).deliverDue();
  const expected = expectedEvents(h.store, r.snapshotId, true);
  t.true(expected > 3000);
  t.is(es.docs.size, expected);
  t.is(es.requests.length, Math.ceil(expected / 500));
  t.true(es.requests.every((q) => q.body.split('\n').length - 1 <= 1000));
  t.deepEqual(es.violations, []);
});
