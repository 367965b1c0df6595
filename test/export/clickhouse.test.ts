// Export to a real ClickHouse (Debian's clickhouse-server 18.16, one server for this file): three simulated hosts
// scan the same real app version — one with a different ffmpeg.dll — and push through the export outbox; the fleet
// questions are then answered by the SQL of docs/fleet.md, run verbatim.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { ExportDeliverer } from '../../daemon/export/deliverer.ts';
import { type ExportSink } from '../../daemon/export/sink.ts';
import { sha256File } from './sha.ts';
import { CLICKHOUSE_PASSWORD, CLICKHOUSE_USER, type ClickHouse, startClickHouse, statementsOf } from './clickhouse-server.ts';
import { APP, docQueries, FFMPEG_COMMON, FFMPEG_ODD, keepingLogger, simHost, type SimHost } from './fleet.ts';
import { TEST_NOW } from '../helpers/inspect.ts';
import { realCorpusPath } from '../helpers/real-corpus.ts';

const REPO = join(import.meta.dirname, '..', '..');
const DOC = readFileSync(join(REPO, 'docs', 'fleet.md'), 'utf8');

let ch: ClickHouse;
const hosts: SimHost[] = [];

const sink = (): ExportSink => ({ name: 'clickhouse', type: 'clickhouse', url: ch.url, user: CLICKHOUSE_USER, token: CLICKHOUSE_PASSWORD, table: 'sealwatch.events', minSeverity: 'info', send: ['scans', 'findings', 'alerts', 'inventory'], batch: 7, maxBytes: 0, maxFiles: 1 });

async function push(h: SimHost): Promise<ReturnType<typeof keepingLogger>> {
  const logger = keepingLogger();
  const d = new ExportDeliverer(h.store, [sink()], { logger, host: h.facts });
  await d.deliverDue();
  return logger;
}

test.before(async () => {
  ch = await startClickHouse();
  for (const s of statementsOf(readFileSync(join(REPO, 'config', 'clickhouse', 'sealwatch.sql'), 'utf8'))) await ch.query(s);
  hosts.push(simHost('host-a', 1, FFMPEG_COMMON, ['clickhouse']), simHost('host-b', 2, FFMPEG_COMMON, ['clickhouse']), simHost('host-c', 3, FFMPEG_ODD, ['clickhouse']));
  for (const [i, h] of hosts.entries()) await h.scan(i);
});

test.after.always(async () => {
  for (const h of hosts) await h.close();
  await ch?.close();
});

test.serial('each baseline goes out whole, in batches of 7, and the outbox row is marked sent', async (t) => {
  for (const h of hosts) {
    const logger = await push(h);
    const rows = h.store.exportOutbox.rows();
    t.is(rows.length, 1);
    t.is(rows[0]?.state, 'sent', JSON.stringify(logger.said));
    const files = h.store.snapshots(h.store.app(APP)?.id as number)[0]?.files as number;
    // scan summary + every path of the baseline (+ findings, none on a baseline of this app)
    t.true(files > 10);
    t.is(rows[0]?.events_sent, 1 + files + h.store.findings({ snapshotId: rows[0]?.snapshot_id as number }).length);
  }
  const perHost = await ch.rows("SELECT `host.name` AS host, count() AS n, uniqExact(`event.id`) AS ids FROM sealwatch.events WHERE `event.dataset` = 'sealwatch.module' GROUP BY host ORDER BY host");
  t.deepEqual(perHost.map((r) => r.host), ['host-a', 'host-b', 'host-c']);
  for (const r of perHost) t.is(r.n, r.ids);
  // All three on the same app version (the signed version resource of the same main executable).
  const versions = await ch.rows("SELECT DISTINCT `sealwatch.version` AS v FROM sealwatch.events WHERE `event.dataset` = 'sealwatch.scan'");
  t.is(versions.length, 1);
  t.regex(String(versions[0]?.v), /^6\.1\./);
});

test.serial('the ECS fields arrive as columns: file hash, PE version info, x509 and code_signature of the real DLL', async (t) => {
  const [row] = await ch.rows("SELECT * FROM sealwatch.events WHERE `event.dataset` = 'sealwatch.module' AND `host.name` = 'host-c' AND `file.name` = 'ffmpeg.dll'");
  t.truthy(row);
  t.is(row?.['file.hash.sha256'], sha256File(realCorpusPath(FFMPEG_ODD)));
  t.is(row?.['sealwatch.path'], 'ffmpeg.dll');
  t.is(row?.['event.type'], 'info');
  t.is(row?.['event.kind'], 'state');
  t.is(row?.['host.id'], '33333333333333333333333333333333');
  t.is(row?.['code_signature.exists'], 1);
  t.is(row?.['code_signature.status'], 'trusted');
  t.is(row?.['code_signature.trusted'], 1);
  t.regex(String(row?.['code_signature.subject_name']), /Microsoft Corporation/);
  t.regex(String(row?.['file.x509.issuer.distinguished_name']), /Microsoft Code Signing PCA/);
  t.regex(String(row?.['file.pe.company']), /Microsoft/);
  t.true(Number(row?.['file.size']) > 0);
});

test.serial('docs/fleet.md, verbatim: which host’s ffmpeg.dll differs from every other host on the same app version', async (t) => {
  const [sql] = docQueries(DOC, "### Which host's module differs from every other host on the same app version?");
  t.truthy(sql);
  const rows = await ch.rows(sql as string);
  t.is(rows.length, 1, JSON.stringify(rows));
  t.is(rows[0]?.host, 'host-c');
  t.is(rows[0]?.path, 'ffmpeg.dll');
  t.is(rows[0]?.sha256, sha256File(realCorpusPath(FFMPEG_ODD)));
  t.is(rows[0]?.hosts_on_version, '3');
});

test.serial('docs/fleet.md, verbatim: which hosts have this hash (now, and ever)', async (t) => {
  const queries = docQueries(DOC, '### Which hosts have this hash?');
  t.is(queries.length, 2);
  // The doc's hash is the odd ffmpeg.dll: Microsoft's msalruntime.dll of the real corpus.
  t.true((queries[0] as string).includes(sha256File(realCorpusPath(FFMPEG_ODD))));
  const now = await ch.rows(queries[0] as string);
  t.deepEqual(now.map((r) => [r.host, r.app, r.path]), [['host-c', APP, 'ffmpeg.dll']]);
  const ever = await ch.rows(queries[1] as string);
  t.deepEqual(ever.map((r) => r.host), ['host-c']);
});

test.serial('a batch sent twice changes no answer; a later scan that removes and changes modules moves "now"', async (t) => {
  const [host] = hosts;
  const h = host as SimHost;
  // The same rows again (a lost answer: the sink took it, the outbox did not hear): same event ids.
  await ch.query("INSERT INTO sealwatch.events SELECT * FROM sealwatch.events WHERE `host.name` = 'host-a'");
  const [q2] = docQueries(DOC, "### Which host's module differs from every other host on the same app version?");
  t.deepEqual((await ch.rows(q2 as string)).map((r) => r.host), ['host-c']);
  // host-a: its ffmpeg.dll is removed, then comes back as the odd build — now two hosts hold that hash.
  rmSync(join(h.root, 'ffmpeg.dll'));
  await h.scan(10);
  await push(h);
  const [now] = docQueries(DOC, '### Which hosts have this hash?');
  t.deepEqual((await ch.rows(now as string)).map((r) => r.host), ['host-c']);
  const gone = await ch.rows("SELECT `event.type` AS type FROM sealwatch.events WHERE `event.dataset` = 'sealwatch.module' AND `host.name` = 'host-a' AND `sealwatch.path` = 'ffmpeg.dll' AND `sealwatch.snapshot` = 2");
  t.deepEqual(gone.map((r) => r.type), ['deletion']);
  const { put } = await import('../helpers/electron-app.ts');
  put(h.root, 'ffmpeg.dll', readFileSync(realCorpusPath(FFMPEG_ODD)));
  await h.scan(20);
  const logger = await push(h);
  t.true(h.store.exportOutbox.rows().every((r) => r.state === 'sent'), JSON.stringify(logger.said));
  t.deepEqual((await ch.rows(now as string)).map((r) => r.host), ['host-a', 'host-c']);
  const back = await ch.rows("SELECT `event.type` AS type FROM sealwatch.events WHERE `event.dataset` = 'sealwatch.module' AND `host.name` = 'host-a' AND `sealwatch.path` = 'ffmpeg.dll' AND `sealwatch.snapshot` = 3");
  t.deepEqual(back.map((r) => r.type), ['creation']);
  // The findings of every scan went too (the baseline's included), one event each, with their rule and severity.
  const stored = h.store.findings({ app: APP });
  t.true(stored.filter((f) => f.snapshot_id > 1).length > 0);
  const sent = await ch.rows("SELECT DISTINCT `event.id` AS id, `rule.id` AS rule, `sealwatch.severity` AS severity FROM sealwatch.events WHERE `event.dataset` = 'sealwatch.finding' AND `host.name` = 'host-a' ORDER BY id");
  t.deepEqual(sent.map((r) => `${String(r.rule)}/${String(r.severity)}`).sort(), stored.map((f) => `${f.rule}/${f.severity}`).sort());
  // Three hosts, two copies alike: nobody's ffmpeg.dll differs from every other's any more — host-b's is the odd one.
  t.deepEqual((await ch.rows(q2 as string)).map((r) => r.host), ['host-b']);
});

test.serial('a wrong password: ClickHouse refuses, the row waits, and the password is in no log or error', async (t) => {
  const [h] = hosts;
  const host = h as SimHost;
  await host.scan(30);
  const logger = keepingLogger();
  const wrong = 'wr0ng-pa55-31337';
  // The deliverer's clock just after that scan (a row is dead-lettered once older than max_age).
  const at = (minutes: number) => () => new Date(TEST_NOW.getTime() + minutes * 60_000);
  await new ExportDeliverer(host.store, [{ ...sink(), token: wrong }], { logger, host: host.facts, now: at(31) }).deliverDue();
  const row = host.store.exportOutbox.rows().at(-1);
  t.is(row?.state, 'pending');
  t.regex(row?.last_error ?? '', /^HTTP 401: Code: 193, e\.displayText\(\) = DB::Exception: Wrong password for user sealwatch/);
  const everything = JSON.stringify({ said: logger.said, rows: host.store.exportOutbox.rows() });
  t.false(everything.includes(wrong));
  t.false(everything.includes(CLICKHOUSE_PASSWORD));
  // With the right one, the same row goes through once it is due again.
  await new ExportDeliverer(host.store, [sink()], { logger, host: host.facts, now: at(45) }).deliverDue();
  t.is(host.store.exportOutbox.rows().at(-1)?.state, 'sent');
});
