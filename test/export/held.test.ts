// An export sink removed (or renamed) by a config reload: its rows are held — pending, not attempted, not counted,
// the hold in last_error — until a sink of that name is configured again (by setSinks or in the config a restarted
// deliverer starts with; then they are delivered there) or their maximum age passes (then dead, saying the sink was
// removed). A real SQLite file from a real scan (fleet.ts), a real NDJSON file sink and a strict _bulk receiver on 127.0.0.1.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import test from 'ava';
import { ExportDeliverer } from '../../daemon/export/deliverer.ts';
import { type ExportSink } from '../../daemon/export/sink.ts';
import { Store } from '../../daemon/inventory/store/store.ts';
import { put } from '../helpers/electron-app.ts';
import { TEST_NOW } from '../helpers/inspect.ts';
import { realCorpusPath } from '../helpers/real-corpus.ts';
import { FFMPEG_COMMON, FFMPEG_ODD, keepingLogger, simHost } from './fleet.ts';
import { bulkReceiver } from './receivers.ts';
import { tempDir } from '../helpers/temp.ts';

const ALL = ['scans', 'findings', 'alerts', 'inventory'] as const;
const HOUR = 3_600_000;

function ndjson(name: string, path: string): ExportSink {
  return { name, type: 'ndjson', path, minSeverity: 'info', send: ALL, batch: 50, maxBytes: 1 << 24, maxFiles: 2 };
}

function clock(): { now: () => Date; advance: (ms: number) => void } {
  let t = TEST_NOW.getTime() + 60_000;
  return { now: () => new Date(t), advance: (ms) => void (t += ms) };
}

const lines = (file: string): string[] => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : []);

test('a removed sink: held (not attempted), then back under the same name by setSinks and by a restart → delivered', async (t) => {
  const es = await bulkReceiver();
  const h = simHost('held-host', 5, FFMPEG_COMMON, ['file', 'elastic']);
  t.teardown(async () => (await es.close(), await h.close()));
  const dir = tempDir('sealwatch-held-');
  const first = join(dir, 'first.ndjson');
  const elastic: ExportSink = { name: 'elastic', type: 'elasticsearch', url: `${es.url}/`, minSeverity: 'info', send: ALL, batch: 50, maxBytes: 1 << 24, maxFiles: 2 };
  const r = await h.scan(0);
  const c = clock();
  const logger = keepingLogger();

  // The config in force has only `file`: elastic's row is held at once, never sent, and its attempts stay 0.
  const d = new ExportDeliverer(h.store, [ndjson('file', first)], { logger, host: h.facts, now: c.now });
  await d.deliverDue();
  const held = h.store.exportOutbox.rows().find((x) => x.sink === 'elastic');
  t.like(held, { state: 'pending', attempts: 0, events_sent: 0, last_attempt_at: null, next_attempt_at: new Date(Date.parse(held?.queued_at ?? '') + 72 * HOUR).toISOString() });
  t.regex(held?.last_error ?? '', /^waiting: sink elastic was removed from the config; held until it comes back or /);
  t.is(h.store.exportOutbox.rows().find((x) => x.sink === 'file')?.state, 'sent');
  t.is(es.requests.length, 0);
  t.true(logger.said.some((l) => l.message === 'export held: its sink was removed from the config' && (l.meta as { sink?: string }).sink === 'elastic'));
  // Later passes leave it alone: it is not due until its maximum age.
  c.advance(HOUR);
  t.is(await d.deliverDue(), 0);
  t.is(h.store.exportOutbox.rows().find((x) => x.sink === 'elastic')?.last_error, held?.last_error ?? null);

  // A restart with elastic configured again (the config changed while the daemon was down): due at once, delivered.
  const restarted = new ExportDeliverer(h.store, [ndjson('file', first), elastic], { logger, host: h.facts, now: c.now });
  t.like(h.store.exportOutbox.rows().find((x) => x.sink === 'elastic'), { state: 'pending', last_error: 'sink elastic is configured again: delivery resumes' });
  await restarted.deliverDue();
  t.like(h.store.exportOutbox.rows().find((x) => x.sink === 'elastic'), { state: 'sent', attempts: 0 });
  t.deepEqual(es.violations, []);
  t.is(es.docs.size, lines(first).length, 'the same events the file sink got');

  // An update: elastic is removed by a reload (setSinks), its row held; the same name comes back pointing elsewhere.
  put(h.root, 'ffmpeg.dll', readFileSync(realCorpusPath(FFMPEG_ODD)));
  const u = await h.scan(5);
  t.not(u.snapshotId, r.snapshotId);
  const second = join(dir, 'second.ndjson');
  restarted.setSinks([ndjson('file', first)]);
  await restarted.deliverDue();
  t.regex(h.store.exportOutbox.rows().find((x) => x.sink === 'elastic' && x.snapshot_id === u.snapshotId)?.last_error ?? '', /^waiting: sink elastic was removed/);
  restarted.setSinks([ndjson('file', first), ndjson('elastic', second)]);
  t.true(logger.said.some((l) => l.message === 'export released: its sink is configured again' && (l.meta as { snapshot_id?: number }).snapshot_id === u.snapshotId));
  await restarted.deliverDue();
  t.like(h.store.exportOutbox.rows().find((x) => x.sink === 'elastic' && x.snapshot_id === u.snapshotId), { state: 'sent', attempts: 0 });
  const update = lines(second).map((l) => JSON.parse(l) as { sealwatch: { snapshot: number } });
  t.true(update.length > 0);
  t.true(update.every((e) => e.sealwatch.snapshot === u.snapshotId), 'only the held update went to the sink that came back');
  t.false(logger.said.some((l) => l.message === 'export dead-lettered'));

  // The history a restart reads holds the same (a real file, reopened).
  const again = Store.open(h.store.file);
  t.deepEqual(again.exportOutbox.rows().map((x) => x.state), ['sent', 'sent', 'sent', 'sent']);
  again.close();
});

test('a removed sink that does not come back: dead once its maximum age has passed, saying why', async (t) => {
  const h = simHost('aged-host', 6, FFMPEG_COMMON, ['gone']);
  t.teardown(() => h.close());
  await h.scan(0);
  const c = clock();
  const logger = keepingLogger();
  const d = new ExportDeliverer(h.store, [], { logger, host: h.facts, now: c.now, maxAgeMs: 2 * HOUR });
  await d.deliverDue();
  t.like(h.store.exportOutbox.rows()[0], { state: 'pending', attempts: 0 });
  c.advance(HOUR);
  await d.deliverDue();
  t.is(h.store.exportOutbox.rows()[0]?.state, 'pending', 'not yet: within its maximum age');
  c.advance(HOUR);
  await d.deliverDue();
  t.like(h.store.exportOutbox.rows()[0], { state: 'dead', attempts: 0, events_sent: 0, last_error: 'sink gone was removed from the config and did not come back within the maximum age' });
  t.true(logger.said.some((l) => l.message === 'export dead-lettered' && (l.meta as { reason?: string }).reason === 'sink removed'));
  // Coming back after it died does not revive it: `export retry` does.
  d.setSinks([ndjson('gone', join(tempDir('sealwatch-held-'), 'late.ndjson'))]);
  t.is(h.store.exportOutbox.rows()[0]?.state, 'dead');
});

test('a release the database refuses (another writer holds it) is logged, the reload still takes effect, and the next pass releases', async (t) => {
  const h = simHost('locked-host', 7, FFMPEG_COMMON, ['back']);
  t.teardown(() => h.close());
  await h.scan(0);
  const c = clock();
  const logger = keepingLogger();
  // A short busy timeout: the lock below makes BEGIN IMMEDIATE fail quickly instead of after 30 s.
  const store = Store.open(h.store.file, { busyTimeoutMs: 50 });
  t.teardown(() => store.close());
  const d = new ExportDeliverer(store, [], { logger, host: h.facts, now: c.now });
  await d.deliverDue();
  t.regex(store.exportOutbox.rows()[0]?.last_error ?? '', /^waiting: sink back was removed/);

  const other = new DatabaseSync(h.store.file);
  other.exec('BEGIN IMMEDIATE');
  const out = join(tempDir('sealwatch-held-'), 'back.ndjson');
  t.notThrows(() => d.setSinks([ndjson('back', out)]), 'the reload is not cut short');
  t.true(logger.said.some((l) => l.message === 'releasing held exports failed; they stay held and are tried again on the next pass'));
  t.regex(store.exportOutbox.rows()[0]?.last_error ?? '', /^waiting: /, 'still held');
  other.exec('ROLLBACK');
  other.close();

  await d.deliverDue();
  t.like(store.exportOutbox.rows()[0], { state: 'sent', attempts: 0 });
  t.true(lines(out).length > 0, 'the new sink got it');
});
