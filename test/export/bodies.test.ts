// The pure pieces of the sinks: flattening for ClickHouse, the _bulk answer's per-item verdicts, the requests each
// sink makes (path, query, headers) — each assertion one way the service would refuse or misread a batch.
import test from 'ava';
import { clickhouseRow, flatten, hecBody } from '../../daemon/export/bodies.ts';
import { type EcsEvent } from '../../daemon/export/ecs.ts';
import { bulkFailures, exportRequest } from '../../daemon/export/send.ts';
import { type ExportSink } from '../../daemon/export/sink.ts';
import { parseBulk, parseHec } from './receivers.ts';

const event: EcsEvent = {
  '@timestamp': '2026-11-01T00:01:02.500Z',
  event: { id: 'db:1:module:7', dataset: 'sealwatch.module', kind: 'state', category: ['file'], type: ['change'] },
  host: { name: 'h', id: 'x', os: { type: 'linux' } },
  file: { path: '/opt/a/b.dll', size: 10, hash: { sha256: 'ab' } },
  code_signature: { exists: true, trusted: false, subject_name: undefined },
  sealwatch: { evidence: '{"a":1}', list: [{ k: 1 }] },
};

const sink = (over: Partial<ExportSink> & Pick<ExportSink, 'type'>): ExportSink => ({ name: 's', minSeverity: 'info', send: ['scans'], batch: 1, maxBytes: 1, maxFiles: 1, ...over });

test('ClickHouse rows are flat: dotted keys, 0/1 for booleans, Unix seconds, arrays as text, undefined dropped', (t) => {
  const row = clickhouseRow(event);
  t.is(row['@timestamp'], 1793491262);
  t.is(row['file.hash.sha256'], 'ab');
  t.is(row['code_signature.exists'], 1);
  t.is(row['code_signature.trusted'], 0);
  t.false('code_signature.subject_name' in row);
  t.is(row['event.category'], 'file');
  t.is(row['sealwatch.list'], '[{"k":1}]');
  t.false(Object.values(row).some((v) => typeof v === 'object'));
  t.deepEqual(flatten({ a: { b: [1, 2] } }), { 'a.b': [1, 2] });
});

test('a _bulk answer: 409 (already there) is success, any other failed item fails the batch, a non-JSON answer too', (t) => {
  t.is(bulkFailures('{"errors":false,"items":[{"create":{"status":201}}]}'), undefined);
  t.is(bulkFailures('{"errors":true,"items":[{"create":{"status":201}},{"create":{"status":409,"error":{"type":"version_conflict_engine_exception"}}}]}'), undefined);
  t.is(bulkFailures('{"errors":true,"items":[{"create":{"status":409}},{"create":{"status":429,"error":{"type":"es_rejected_execution_exception","reason":"queue full"}}}]}'), '1 item(s) refused (es_rejected_execution_exception: queue full)');
  t.is(bulkFailures('<html>proxy error</html>'), 'the answer is not JSON');
});

test('requests: ClickHouse query and credentials headers, _bulk under a path prefix, HEC endpoint and Splunk header', (t) => {
  const ch = exportRequest(sink({ type: 'clickhouse', url: 'https://ch.example:8443/', user: 'sw', token: 'pw', table: 'fleet.events' }), [event]);
  const u = new URL(ch.url);
  t.is(u.pathname, '/');
  t.is(u.searchParams.get('query'), 'INSERT INTO fleet.events FORMAT JSONEachRow');
  t.is(u.searchParams.get('input_format_skip_unknown_fields'), '1');
  t.is(ch.headers['x-clickhouse-user'], 'sw');
  t.is(ch.headers['x-clickhouse-key'], 'pw');
  t.false(ch.url.includes('pw'));
  t.true(ch.body.endsWith('\n'));
  const es = exportRequest(sink({ type: 'elasticsearch', url: 'https://es.example/proxy/', token: 'k' }), [event, event]);
  t.true(es.url.startsWith('https://es.example/proxy/_bulk?'));
  t.is(es.headers.authorization, 'ApiKey k');
  t.deepEqual(parseBulk(es.body).map((a) => [a.action, a.meta._index, a.meta._id]), [['create', 'sealwatch-events', 'db:1:module:7'], ['create', 'sealwatch-events', 'db:1:module:7']]);
  const hec = exportRequest(sink({ type: 'splunk', url: 'https://splunk.example:8088', token: 'tok' }), [event]);
  t.is(hec.url, 'https://splunk.example:8088/services/collector/event');
  t.is(hec.headers.authorization, 'Splunk tok');
  const [envelope] = parseHec(hecBody([event], undefined));
  t.deepEqual(Object.keys(envelope ?? {}), ['time', 'host', 'source', 'sourcetype', 'event']);
  t.is(envelope?.time, 1793491262.5);
  t.is(envelope?.sourcetype, 'sealwatch:module');
});
