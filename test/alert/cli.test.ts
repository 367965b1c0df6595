// `sealwatch alerts list|retry|test` as users run them: the real CLI as a child process, a real SQLite file, a real
// config file and a real receiver on 127.0.0.1.
import test from 'ava';
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OutboxDeliverer } from '../../daemon/alert/deliverer.ts';
import { type AlertDestination } from '../../daemon/alert/destination.ts';
import { jsonLines, sealwatch } from '../helpers/cli.ts';
import { collectingLogger, commitWithAlerts, manyFindings, receiver, tempStore } from './helpers.ts';
import { tempDir } from '../helpers/temp.ts';

test('alerts list shows pending, sent and dead with the last error; retry re-queues dead or pending, never sent', async (t) => {
  const rx = await receiver();
  const { store, file } = tempStore();
  const dests: AlertDestination[] = [
    { name: 'ok-hook', type: 'generic', url: `${rx.url}/ok`, minSeverity: 'low' },
    { name: 'dead-hook', type: 'generic', url: `${rx.url}/dead/TOKEN-abcdef123`, minSeverity: 'low' },
    { name: 'later-hook', type: 'slack', url: `${rx.url}/later`, minSeverity: 'critical' },
    // Removed from the config (the deliverer does not have it): its alert is held, not attempted.
    { name: 'gone-hook', type: 'generic', url: `${rx.url}/gone`, minSeverity: 'low' },
  ];
  try {
    const { deliveryIds } = commitWithAlerts(store, dests, manyFindings(7), new Date('2026-03-01T12:00:00Z'));
    rx.script({ status: 200 }, { status: 410, body: 'gone /dead/TOKEN-abcdef123' });
    // later-hook is not attempted: its row is not due until far in the future.
    const deliverer = new OutboxDeliverer(store, dests.slice(0, 2), { logger: collectingLogger().logger, now: () => new Date('2026-03-01T12:00:01Z'), maxAttempts: 1 });
    const later = store.alerts().find((r) => r.destination === 'later-hook');
    if (!later) return t.fail('no later-hook alert');
    store.claimAlert(later.id, new Date('2026-03-01T12:00:00Z'), new Date('2099-01-01T00:00:00Z'));
    t.is(await deliverer.deliverDue(), 2);
    store.close();

    const text = await sealwatch(['alerts', 'list', '--db', file]);
    t.is(text.code, 0, text.stderr);
    const lines = text.stdout.trim().split('\n');
    t.is(lines[0], '4 alerts: 2 pending, 1 sent, 1 dead');
    t.regex(lines[1] ?? '', /^ID\s+STATE\s+DESTINATION\s+APP\s+SNAPSHOT\s+ATTEMPTS\s+WHEN\s+LAST ERROR\s+SUMMARY$/);
    t.regex(text.stdout, /dead-hook .*HTTP 410: gone \[redacted\]/);
    t.false(text.stdout.includes('TOKEN-abcdef123'));
    t.regex(text.stdout, /gone-hook .* waiting for removed destination \(dead at 2026-03-02T12:00:00\.000Z\) .*waiting: destination gone-hook was removed from the config/);
    t.notRegex(lines.find((l) => l.includes('later-hook')) ?? '', /removed/);

    const json = await sealwatch(['alerts', 'list', '--db', file, '--json']);
    const rows = jsonLines(json.stdout);
    t.deepEqual(rows.map((r) => [r.destination, r.state, r.destination_removed]), [['ok-hook', 'sent', false], ['dead-hook', 'dead', false], ['later-hook', 'pending', false], ['gone-hook', 'pending', true]]);
    t.like(rows[3], { attempts: 0, next_attempt_at: '2026-03-02T12:00:00.000Z' });
    t.deepEqual(rows.map((r) => r.delivery_id), deliveryIds);
    t.like(rows[1], { attempts: 1, last_status: 410, last_error: 'HTTP 410: gone [redacted]', app: 'ContosoChat', type: 'generic' });
    t.deepEqual(Object.keys(rows[0] ?? {}).sort(), ['app', 'attempts', 'created_at', 'delivery_id', 'destination', 'destination_removed', 'done_at', 'id', 'last_attempt_at', 'last_error', 'last_status', 'next_attempt_at', 'snapshot', 'state', 'summary', 'type']);
    const deadOnly = jsonLines((await sealwatch(['alerts', 'list', '--db', file, '--json', '--state', 'dead'])).stdout);
    t.deepEqual(deadOnly.map((r) => r.destination), ['dead-hook']);

    const sentId = String(rows[0]?.id);
    const refused = await sealwatch(['alerts', 'retry', sentId, '--db', file]);
    t.is(refused.code, 2);
    t.regex(refused.stderr, /already delivered; it is not sent twice/);
    t.is((await sealwatch(['alerts', 'retry', '999', '--db', file])).code, 2);
    t.is((await sealwatch(['alerts', 'retry', '--db', file])).code, 2, 'an id or --dead');

    const byDeliveryId = await sealwatch(['alerts', 'retry', String(rows[1]?.delivery_id), '--db', file]);
    t.is(byDeliveryId.code, 0, byDeliveryId.stderr);
    t.regex(byDeliveryId.stdout, /queued again \(was dead/);
    const after = jsonLines((await sealwatch(['alerts', 'list', '--db', file, '--json'])).stdout);
    t.like(after[1], { state: 'pending', attempts: 0, last_error: 'HTTP 410: gone [redacted]' });
    const none = await sealwatch(['alerts', 'retry', '--dead', '--db', file]);
    t.regex(none.stdout, /^0 dead alerts queued again/);
  } finally {
    await rx.close();
  }
});

test('alerts test sends a sample to a configured destination by name or index: signed, marked as a test; failures exit 1 without the URL', async (t) => {
  const rx = await receiver(true);
  const dir = tempDir('sealwatch-alerts-test-');
  const config = join(dir, 'sealwatch.yaml');
  writeFileSync(
    config,
    [
      `database: ${join(dir, 'sealwatch.db')}`,
      'apps:',
      `  - { name: ContosoChat, path: ${dir} }`,
      'alerts:',
      '  - name: soc',
      '    type: generic',
      `    url: ${rx.url}/hook`,
      '    secret_env: TEST_HOOK_SECRET',
      '  - type: slack',
      '    url_env: TEST_SLACK_URL',
      '  - name: broken',
      '    type: discord',
      `    url: ${rx.url}/api/webhooks/1/DISCORD-TOKEN-xyz789`,
      'delivery:',
      '  timeout: 2s',
      '',
    ].join('\n'),
  );
  const env = { TEST_HOOK_SECRET: 'hook-secret-42', TEST_SLACK_URL: `${rx.url}/services/T/B/SLACK-TOKEN-abc123` };
  try {
    const sent = await sealwatch(['alerts', 'test', 'soc', '--config', config], env);
    t.is(sent.code, 0, sent.stderr);
    t.regex(sent.stdout, /^alerts test: soc \(generic\): delivered \(HTTP 200\), delivery id [0-9a-f-]{36}$/m);
    const r = rx.received[0];
    const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(r?.headers['x-sealwatch-signature']));
    t.is(m?.[2], createHmac('sha256', 'hook-secret-42').update(`${m?.[1]}.${r?.body}`).digest('hex'));
    const body = JSON.parse(r?.body ?? '{}') as { id: string; app: string; to_version: string; findings: unknown[] };
    t.is(body.id, String(r?.headers['x-sealwatch-delivery']));
    t.is(body.app, 'sealwatch-test');
    t.regex(body.to_version, /TEST ALERT/);
    t.is(body.findings.length, 2);

    const byIndex = await sealwatch(['alerts', 'test', '1', '--config', config], env);
    t.is(byIndex.code, 0, byIndex.stderr);
    t.regex(byIndex.stdout, /alerts\[1\] \(slack\): delivered/);
    t.is(rx.received[1]?.url, '/services/T/B/SLACK-TOKEN-abc123');
    t.true(Array.isArray((JSON.parse(rx.received[1]?.body ?? '{}') as { blocks?: unknown }).blocks));

    rx.script({ status: 401, body: 'bad token' });
    const failed = await sealwatch(['alerts', 'test', 'broken', '--config', config], env);
    t.is(failed.code, 1);
    t.regex(failed.stderr, /alerts test: broken \(discord\): not delivered: HTTP 401: bad token/);
    t.false((failed.stdout + failed.stderr).includes('DISCORD-TOKEN-xyz789'));

    const unknown = await sealwatch(['alerts', 'test', 'nope', '--config', config], env);
    t.is(unknown.code, 2);
    t.regex(unknown.stderr, /no destination "nope" in .*sealwatch\.yaml \(destinations: soc \(or its index, 0\), alerts\[1\] \(or its index, 1\), broken \(or its index, 2\)\)/);
    t.false(unknown.stderr.includes('SLACK-TOKEN-abc123'));
  } finally {
    await rx.close();
  }
});
