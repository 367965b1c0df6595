// Webhook URLs (their tokens) and signing secrets never reach the logs, the stored errors or `alerts list`, even when
// a destination fails in every way it can: an HTTP error whose body echoes the request, a refused connection, a URL
// that does not parse, a hang past the timeout.
import test from 'ava';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { OutboxDeliverer } from '../../daemon/alert/deliverer.ts';
import { type AlertDestination } from '../../daemon/alert/destination.ts';
import { redact } from '../../daemon/alert/redact.ts';
import { runAlertsList } from '../../daemon/cli/alerts.ts';
import { collectingLogger, commitWithAlerts, manualClock, manyFindings, receiver, tempStore } from './helpers.ts';
import { tempDir } from '../helpers/temp.ts';

process.env.SEALWATCH_WITNESS = join(tempDir('sealwatch-witness-'), 'databases.json');

const TOKENS = ['PATHTOKEN-1a2b3c4d5e', 'QUERYTOKEN-9z8y7x', 'HMAC-SECRET-q1w2e3', 'SLACKTOKENabcdef123', 'DISCORDTOKEN-zzz999', 'TEAMSTOKEN-abcdef', 'TEAMSSIG-123456'];

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

test('a secret or URL planted in failing destinations never shows in the logs, the stored errors or alerts list', async (t) => {
  const echo = await receiver(true);
  const hang = await receiver();
  const { store, file } = tempStore();
  const clock = manualClock('2026-03-01T12:00:00.000Z');
  const destinations: AlertDestination[] = [
    { name: 'soc-generic', type: 'generic', url: `${echo.url}/hook/PATHTOKEN-1a2b3c4d5e?token=QUERYTOKEN-9z8y7x`, secret: 'HMAC-SECRET-q1w2e3', minSeverity: 'low' },
    { name: 'soc-slack', type: 'slack', url: `http://127.0.0.1:${await closedPort()}/services/T0000/B0000/SLACKTOKENabcdef123`, minSeverity: 'low' },
    { name: 'soc-discord', type: 'discord', url: 'http://exa mple.invalid/api/webhooks/123/DISCORDTOKEN-zzz999', minSeverity: 'low' },
    { name: 'soc-teams', type: 'teams', url: `${hang.url}/workflows/TEAMSTOKEN-abcdef/triggers?sig=TEAMSSIG-123456`, minSeverity: 'low' },
  ];
  const log = collectingLogger();
  const deliverer = new OutboxDeliverer(store, destinations, { logger: log.logger, now: clock.now, timeoutMs: 1_000, maxAttempts: 2, random: () => 0 });
  try {
    commitWithAlerts(store, destinations, manyFindings(6), clock.now());
    echo.script({ status: 500, body: 'refused' }, { status: 500, body: 'refused' });
    hang.script('hang', 'hang');
    t.is(await deliverer.deliverDue(), 4);
    clock.advance(3_600_000);
    t.is(await deliverer.deliverDue(), 4);

    // The failures are real and said plainly.
    const rows = store.alerts();
    t.deepEqual(rows.map((r) => r.state), ['dead', 'dead', 'dead', 'dead']);
    const errors = Object.fromEntries(rows.map((r) => [r.destination, r.last_error ?? '']));
    t.regex(errors['soc-generic'] ?? '', /^HTTP 500: refused/);
    t.regex(errors['soc-slack'] ?? '', /ECONNREFUSED/);
    t.regex(errors['soc-discord'] ?? '', /Invalid URL|ERR_INVALID_URL/i);
    t.regex(errors['soc-teams'] ?? '', /Timeout/i);
    // The echoing service did put the path and query into its answer: redaction had something to remove.
    t.true(echo.received.some((r) => r.url.includes('PATHTOKEN-1a2b3c4d5e')));
    t.regex(errors['soc-generic'] ?? '', /\[redacted\]/);
    t.is(log.lines.filter((l) => l.level === 'warn').length, 4);
    t.is(log.lines.filter((l) => l.level === 'error').length, 4);

    const out: string[] = [];
    const io = { out: (l: string) => void out.push(l), err: (l: string) => void out.push(l) };
    t.is(await runAlertsList({ db: file, json: false }, io), 0);
    t.is(await runAlertsList({ db: file, json: true }, io), 0);
    t.regex(out[0] ?? '', /^4 alerts: 0 pending, 0 sent, 4 dead$/);

    const everything = JSON.stringify(log.lines) + out.join('\n') + JSON.stringify(rows);
    for (const token of TOKENS) t.false(everything.includes(token), `${token} leaked`);
    for (const d of destinations) t.false(everything.includes(d.url), `${d.name}: URL leaked`);
  } finally {
    await deliverer.stop();
    store.close();
    await echo.close();
    await hang.close();
  }
});

test('redact: the whole URL, its path and query pieces (raw and percent-encoded) and the secret', (t) => {
  const d = { url: 'https://hooks.slack.com/services/T01ABCDEF/B02GHIJKL/xoxbSecretPart1234?x=QUERY%20VALUE99', secret: 's3cr3t!' };
  const text = `POST https://hooks.slack.com/services/T01ABCDEF/B02GHIJKL/xoxbSecretPart1234?x=QUERY%20VALUE99 failed; path /services/T01ABCDEF/B02GHIJKL/xoxbSecretPart1234; token xoxbSecretPart1234; q QUERY VALUE99; secret s3cr3t! or s3cr3t%21`;
  const r = redact(text, d);
  for (const piece of ['xoxbSecretPart1234', 'T01ABCDEF', 'B02GHIJKL', 'QUERY VALUE99', 'QUERY%20VALUE99', 's3cr3t!', 's3cr3t%21']) t.false(r.includes(piece), piece);
  t.true(r.startsWith('POST [redacted] failed'));
  t.is(redact('connect ECONNREFUSED 127.0.0.1:9', d), 'connect ECONNREFUSED 127.0.0.1:9', 'nothing else is touched');
});
