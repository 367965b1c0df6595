// Delivery against a real HTTP receiver on 127.0.0.1 with a hand-moved clock: faults (500, 429 with Retry-After, a
// hang past the timeout) then recovery deliver the alert once by id; attempts and age dead-letter; a crash between
// claiming and marking only delays (and repeats with the same id); a destination removed by a reload holds its alerts
// until it comes back (then they go to it) or their age is out (then they are dead, saying so).
import test from 'ava';
import { createHmac } from 'node:crypto';
import { OutboxDeliverer } from '../../daemon/alert/deliverer.ts';
import { type AlertDestination } from '../../daemon/alert/destination.ts';
import { isHeld } from '../../daemon/alert/removed.ts';
import { sendOnce } from '../../daemon/alert/send.ts';
import { Store } from '../../daemon/inventory/store/store.ts';
import { collectingLogger, commitWithAlerts, manualClock, manyFindings, receiver, tempStore } from './helpers.ts';

const T0 = '2026-03-01T12:00:00.000Z';
const SECRET = 'correct horse battery staple';
const FAST = { baseMs: 1_000, maxMs: 8_000, maxRetryAfterMs: 60_000 };

/** The receiver's own check of X-Sealwatch-Signature: HMAC-SHA256 of "<t>.<raw body>" with the shared secret. */
function signatureValid(header: string | string[] | undefined, body: string, secret: string): { ok: boolean; t: number } {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(header));
  if (!m) return { ok: false, t: Number.NaN };
  const expected = createHmac('sha256', secret).update(`${m[1]}.${body}`).digest('hex');
  return { ok: expected === m[2], t: Number(m[1]) };
}

test('500 → 429 Retry-After → hang past the timeout → recovery: the alert arrives once, by id, signed on every attempt', async (t) => {
  const rx = await receiver();
  const { store } = tempStore();
  const clock = manualClock(T0);
  const dest: AlertDestination = { name: 'soc', type: 'generic', url: `${rx.url}/hook`, secret: SECRET, minSeverity: 'medium' };
  const log = collectingLogger();
  const deliverer = new OutboxDeliverer(store, [dest], { logger: log.logger, now: clock.now, timeoutMs: 1_500, maxAttempts: 10, backoff: FAST, random: () => 0.5 });
  try {
    const { snapshotId, deliveryIds } = commitWithAlerts(store, [dest], manyFindings(5), clock.now());
    t.is(deliveryIds.length, 1);
    const id = deliveryIds[0] as string;
    rx.script({ status: 500, body: 'boom' }, { status: 429, headers: { 'retry-after': '7' } }, 'hang', { status: 204 });

    t.is(await deliverer.deliverDue(), 1);
    let row = store.alerts()[0];
    t.like(row, { state: 'pending', attempts: 1, last_status: 500, last_error: 'HTTP 500: boom' });
    // Backoff after the first failure: base 1 s, equal jitter at 0.5 → 750 ms.
    t.is(row?.next_attempt_at, new Date(clock.now().getTime() + 750).toISOString());
    t.is(await deliverer.deliverDue(), 0, 'not due yet: no attempt');

    clock.advance(750);
    t.is(await deliverer.deliverDue(), 1);
    row = store.alerts()[0];
    t.like(row, { state: 'pending', attempts: 2, last_status: 429 });
    t.is(row?.next_attempt_at, new Date(clock.now().getTime() + 7_000).toISOString(), 'Retry-After: 7 honoured exactly');
    clock.advance(6_999);
    t.is(await deliverer.deliverDue(), 0, 'not before Retry-After');

    clock.advance(1);
    t.is(await deliverer.deliverDue(), 1, 'the hung attempt ends at the timeout');
    row = store.alerts()[0];
    t.like(row, { state: 'pending', attempts: 3 });
    t.regex(row?.last_error ?? '', /Timeout/i);

    clock.advance(8_000);
    t.is(await deliverer.deliverDue(), 1);
    row = store.alerts()[0];
    t.like(row, { state: 'sent', attempts: 4, last_status: 204 });
    t.is(await deliverer.deliverDue(), 0, 'a sent alert is never sent again');

    // What the receiver saw: four requests, one id, every one signed over its exact body; one 2xx.
    t.is(rx.received.length, 4);
    t.deepEqual([...new Set(rx.received.map((r) => r.headers['x-sealwatch-delivery']))], [id]);
    const times = [0, 750, 7_750, 15_750].map((ms) => Math.floor((Date.parse(T0) + ms) / 1000));
    rx.received.forEach((r, i) => {
      const sig = signatureValid(r.headers['x-sealwatch-signature'], r.body, SECRET);
      t.true(sig.ok, `attempt ${i + 1}: signature verifies`);
      t.is(sig.t, times[i] ?? Number.NaN, `attempt ${i + 1}: t is the attempt's time`);
      t.false(signatureValid(r.headers['x-sealwatch-signature'], r.body, 'wrong secret').ok);
      t.is(r.method, 'POST');
      t.is(r.url, '/hook');
      t.regex(String(r.headers['content-type']), /^application\/json/);
    });
    t.is(new Set(rx.received.map((r) => r.body)).size, 1, 'the same bytes on every attempt');
    const body = JSON.parse(rx.received[0]?.body ?? '{}') as Record<string, unknown>;
    t.is(body.id, id);
    t.is(body.snapshot, snapshotId);
    t.deepEqual(log.lines.map((l) => l.message), ['alert delivery failed', 'alert delivery failed', 'alert delivery failed', 'alert delivered']);
    t.like(log.lines.at(-1)?.meta, { delivery_id: id, destination: 'soc', app: 'ContosoChat', snapshot_id: snapshotId, attempt: 4, status: 204 });
  } finally {
    await deliverer.stop();
    store.close();
    await rx.close();
  }
});

test('dead-letter after max attempts, and after max age (but never before one attempt); retry --dead revives', async (t) => {
  const rx = await receiver();
  const { store } = tempStore();
  const clock = manualClock(T0);
  const dest: AlertDestination = { name: 'hook', type: 'generic', url: rx.url, minSeverity: 'low' };
  const log = collectingLogger();
  const deliverer = new OutboxDeliverer(store, [dest], { logger: log.logger, now: clock.now, timeoutMs: 1_000, maxAttempts: 3, maxAgeMs: 3_600_000, backoff: FAST, random: () => 0 });
  try {
    commitWithAlerts(store, [dest], manyFindings(2), clock.now(), 'A');
    rx.script(...Array.from({ length: 3 }, () => ({ status: 502 })));
    for (let i = 0; i < 3; i++) {
      t.is(await deliverer.deliverDue(), 1);
      clock.advance(10_000);
    }
    t.like(store.alerts()[0], { state: 'dead', attempts: 3, last_status: 502, last_error: 'HTTP 502' });
    t.is(await deliverer.deliverDue(), 0, 'dead stays dead');
    t.like(log.lines.at(-1), { level: 'error', message: 'alert dead-lettered', meta: { reason: 'max attempts' } });

    // An alert queued long ago (the daemon was down for days) still gets its attempt: here it succeeds.
    commitWithAlerts(store, [dest], manyFindings(2), clock.now(), 'B');
    clock.advance(48 * 3_600_000);
    t.is(await deliverer.deliverDue(), 1);
    t.like(store.alerts()[1], { state: 'sent', attempts: 1 });

    // One that fails past its age is dead at once.
    commitWithAlerts(store, [dest], manyFindings(2), clock.now(), 'C');
    clock.advance(2 * 3_600_000);
    rx.script({ status: 500 });
    t.is(await deliverer.deliverDue(), 1);
    t.like(store.alerts()[2], { state: 'dead', attempts: 1 });
    t.like(log.lines.at(-1)?.meta, { reason: 'max age' });

    t.is(store.retryDeadAlerts(clock.now()), 2);
    t.is(await deliverer.deliverDue(), 2);
    t.deepEqual(store.alerts().map((r) => r.state), ['sent', 'sent', 'sent']);
  } finally {
    await deliverer.stop();
    store.close();
    await rx.close();
  }
});

test('a crash after claiming only delays the alert; a crash between a 2xx and the mark repeats it with the same id', async (t) => {
  const rx = await receiver();
  const { store } = tempStore();
  const clock = manualClock(T0);
  const dest: AlertDestination = { name: 'hook', type: 'generic', url: rx.url, secret: SECRET, minSeverity: 'low' };
  try {
    const { deliveryIds } = commitWithAlerts(store, [dest], manyFindings(3), clock.now());
    const row = store.dueAlerts(clock.now(), 10)[0];
    if (!row) return t.fail('no due alert');
    // The "crashed" deliverer claimed the row and got a 2xx, but never marked it sent.
    t.true(store.claimAlert(row.id, clock.now(), new Date(clock.now().getTime() + 40_000)));
    t.false(store.claimAlert(row.id, clock.now(), new Date(clock.now().getTime() + 40_000)), 'a claimed row is not claimed twice');
    t.like(store.retryAlert(String(row.id), clock.now()), { found: true, inFlight: true, requeued: false }, '`alerts retry` leaves an attempt under way alone');
    t.is(store.dueAlerts(clock.now(), 10).length, 0, 'leased: not due');
    t.true((await sendOnce(dest, row.body, row.delivery_id, { now: clock.now(), timeoutMs: 1_000 })).ok);

    const restarted = new OutboxDeliverer(store, [dest], { logger: collectingLogger().logger, now: clock.now, timeoutMs: 1_000 });
    t.is(await restarted.deliverDue(), 0, 'leased: not retried while the lease runs');
    clock.advance(40_000);
    t.is(await restarted.deliverDue(), 1);
    t.like(store.alerts()[0], { state: 'sent', attempts: 2 });
    t.deepEqual(rx.received.map((r) => r.headers['x-sealwatch-delivery']), [deliveryIds[0], deliveryIds[0]]);
    t.is(rx.received[0]?.body, rx.received[1]?.body);
  } finally {
    store.close();
    await rx.close();
  }
});

test('start() delivers on its own timer; stop() waits for the attempt under way', async (t) => {
  const rx = await receiver();
  const { store } = tempStore();
  const dest: AlertDestination = { name: 'hook', type: 'slack', url: `${rx.url}/services/T/B/x`, minSeverity: 'high' };
  const deliverer = new OutboxDeliverer(store, [dest], { logger: collectingLogger().logger, timeoutMs: 2_000, pollMs: 20 });
  try {
    commitWithAlerts(store, [dest], manyFindings(4), new Date());
    const arrived = new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (store.alerts()[0]?.state === 'sent') (clearInterval(check), resolve());
      }, 10);
    });
    deliverer.start();
    await arrived;
    await deliverer.stop();
    t.is(rx.received.length, 1);
    t.is(rx.received[0]?.headers['x-sealwatch-signature'], undefined, 'only the generic destination is signed');
    t.truthy(rx.received[0]?.headers['x-sealwatch-delivery']);
  } finally {
    await deliverer.stop();
    store.close();
    await rx.close();
  }
});

test('a reload that removes a destination holds its pending alerts: not attempted, not dead, shown as held', async (t) => {
  const rx = await receiver();
  const { store } = tempStore();
  const clock = manualClock(T0);
  const soc: AlertDestination = { name: 'soc', type: 'generic', url: `${rx.url}/soc`, minSeverity: 'low' };
  const other: AlertDestination = { name: 'other', type: 'generic', url: `${rx.url}/other`, minSeverity: 'low' };
  const log = collectingLogger();
  const deliverer = new OutboxDeliverer(store, [soc, other], { logger: log.logger, now: clock.now, timeoutMs: 1_000, maxAgeMs: 3_600_000, backoff: FAST, random: () => 0 });
  try {
    // soc fails once (so the row has a history), then the reload removes it while its alert is pending.
    commitWithAlerts(store, [soc], manyFindings(2), clock.now(), 'A');
    rx.script({ status: 500 });
    t.is(await deliverer.deliverDue(), 1);
    deliverer.setDestinations([other]);
    commitWithAlerts(store, [soc], manyFindings(2), clock.now(), 'B');
    clock.advance(60_000);
    t.is(await deliverer.deliverDue(), 0, 'no attempt at a removed destination');
    t.is(rx.received.length, 1, 'only the attempt made before the reload');
    const held = store.alerts();
    t.deepEqual(held.map((r) => [r.state, r.attempts]), [['pending', 1], ['pending', 0]]);
    const until = new Date(Date.parse(T0) + 3_600_000).toISOString();
    for (const r of held) {
      t.true(isHeld(r.last_error), String(r.last_error));
      t.is(r.last_error, `waiting: destination soc was removed from the config; held until it comes back or ${until}`);
      t.is(r.next_attempt_at, until, 'not due again before its age runs out');
    }
    t.is(held[0]?.last_status, 500, 'the status of the last real attempt is kept');
    t.like(log.lines.at(-1), { level: 'warn', message: 'alert held: its destination was removed from the config', meta: { destination: 'soc', held_until: until } });

    // Later passes leave them alone; the other destination's alerts still flow.
    commitWithAlerts(store, [other], manyFindings(2), clock.now(), 'C');
    clock.advance(10 * 60_000);
    t.is(await deliverer.deliverDue(), 1);
    t.deepEqual(store.alerts().map((r) => r.state), ['pending', 'pending', 'sent']);
    t.deepEqual(rx.received.map((r) => r.url), ['/soc', '/other']);
  } finally {
    await deliverer.stop();
    store.close();
    await rx.close();
  }
});

test('the removed destination comes back under the same name (reload or restart): its held alerts are delivered to it', async (t) => {
  const rx = await receiver();
  const { store, file } = tempStore();
  const clock = manualClock(T0);
  const soc: AlertDestination = { name: 'soc', type: 'generic', url: `${rx.url}/old`, secret: SECRET, minSeverity: 'low' };
  const log = collectingLogger();
  const deliverer = new OutboxDeliverer(store, [], { logger: log.logger, now: clock.now, timeoutMs: 1_000, maxAgeMs: 3_600_000 });
  let closed = false;
  try {
    const { deliveryIds } = commitWithAlerts(store, [soc], manyFindings(3), clock.now(), 'A');
    t.is(await deliverer.deliverDue(), 0);
    t.true(isHeld(store.alerts()[0]?.last_error));

    // Back under the same name, at a new URL: due at once, delivered there with its stored body and id.
    clock.advance(20 * 60_000);
    const back: AlertDestination = { ...soc, url: `${rx.url}/new` };
    deliverer.setDestinations([back]);
    t.like(store.alerts()[0], { state: 'pending', next_attempt_at: clock.now().toISOString(), last_error: 'destination soc is configured again: delivery resumes' });
    t.is(await deliverer.deliverDue(), 1);
    t.like(store.alerts()[0], { state: 'sent', attempts: 1, last_status: 200 });
    t.deepEqual(rx.received.map((r) => [r.url, r.headers['x-sealwatch-delivery']]), [['/new', deliveryIds[0]]]);
    t.true(signatureValid(rx.received[0]?.headers['x-sealwatch-signature'], rx.received[0]?.body ?? '', SECRET).ok);
    t.like(log.lines.find((l) => l.message.startsWith('alert released')), { meta: { destination: 'soc' } });

    // Held by one daemon, the config changed while it was down: the next daemon's deliverer releases it on start.
    commitWithAlerts(store, [soc], manyFindings(3), clock.now(), 'B');
    deliverer.setDestinations([]);
    t.is(await deliverer.deliverDue(), 0);
    await deliverer.stop();
    store.close();
    closed = true;
    const reopened = Store.open(file);
    try {
      const restarted = new OutboxDeliverer(reopened, [back], { logger: collectingLogger().logger, now: clock.now, timeoutMs: 1_000, maxAgeMs: 3_600_000 });
      t.is(await restarted.deliverDue(), 1);
      t.deepEqual(reopened.alerts().map((r) => r.state), ['sent', 'sent']);
      t.is(rx.received.length, 2);
    } finally {
      reopened.close();
    }
  } finally {
    await deliverer.stop();
    if (!closed) store.close();
    await rx.close();
  }
});

test('a held alert whose destination never comes back is dead at its maximum age, saying the destination was removed', async (t) => {
  const rx = await receiver();
  const { store } = tempStore();
  const clock = manualClock(T0);
  const gone: AlertDestination = { name: 'old-hook', type: 'generic', url: `${rx.url}/x`, minSeverity: 'low' };
  const log = collectingLogger();
  const deliverer = new OutboxDeliverer(store, [], { logger: log.logger, now: clock.now, maxAgeMs: 3_600_000 });
  try {
    commitWithAlerts(store, [gone], manyFindings(2), clock.now());
    t.is(await deliverer.deliverDue(), 0);
    t.like(store.alerts()[0], { state: 'pending', attempts: 0 });
    clock.advance(3_600_000 - 1);
    t.is(await deliverer.deliverDue(), 0);
    t.like(store.alerts()[0], { state: 'pending' }, 'one millisecond before its age: still held');
    clock.advance(1);
    t.is(await deliverer.deliverDue(), 0, 'dead-lettered without an attempt');
    t.like(store.alerts()[0], { state: 'dead', attempts: 0, last_error: 'destination old-hook was removed from the config and did not come back within the maximum age', done_at: clock.now().toISOString() });
    t.like(log.lines.at(-1), { level: 'error', message: 'alert dead-lettered', meta: { reason: 'destination removed', destination: 'old-hook' } });
    t.is(rx.received.length, 0, 'never sent anywhere');
    // A dead alert stays dead when the name comes back; `alerts retry` is how it is sent then.
    deliverer.setDestinations([gone]);
    t.is(await deliverer.deliverDue(), 0);
    t.is(store.retryDeadAlerts(clock.now()), 1);
    t.is(await deliverer.deliverDue(), 1);
    t.like(store.alerts()[0], { state: 'sent' });
  } finally {
    await deliverer.stop();
    store.close();
    await rx.close();
  }
});

test('an endless answer is cut off after 64 KB: a 2xx still counts as delivered, an error keeps its status', async (t) => {
  const { createServer } = await import('node:http');
  const chunk = Buffer.alloc(64 * 1024, 'x');
  let written = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(req.url === '/ok' ? 200 : 429, { 'retry-after': '3' });
      // 8 MB unless the client goes away first.
      const more = (): void => {
        while (written < 8 << 20) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', more);
        }
        res.end();
      };
      res.on('close', () => (written = 8 << 20));
      more();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  try {
    const ok = await sendOnce({ name: 'x', type: 'generic', url: `${base}/ok`, minSeverity: 'low' }, '{}', 'id', { now: new Date(), timeoutMs: 10_000 });
    t.deepEqual(ok, { ok: true, status: 200 });
    written = 0;
    const busy = await sendOnce({ name: 'x', type: 'generic', url: `${base}/busy`, minSeverity: 'low' }, '{}', 'id', { now: new Date(), timeoutMs: 10_000 });
    t.deepEqual(busy, { ok: false, status: 429, retryAfter: '3', error: 'HTTP 429' });
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test('a 2xx whose body then stalls past the timeout is a delivery, not a failure to repeat', async (t) => {
  const { createServer } = await import('node:http');
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
    t.deepEqual(await sendOnce({ name: 'x', type: 'generic', url, minSeverity: 'low' }, '{}', 'id', { now: new Date(), timeoutMs: 500 }), { ok: true, status: 200 });
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test('an alert queued during a pass is attempted right after it, not at the next tick', async (t) => {
  const rx = await receiver();
  const { store } = tempStore();
  const clock = manualClock(T0);
  const dest: AlertDestination = { name: 'hook', type: 'generic', url: rx.url, minSeverity: 'low' };
  const deliverer = new OutboxDeliverer(store, [dest], { logger: collectingLogger().logger, now: clock.now, timeoutMs: 5_000 });
  try {
    commitWithAlerts(store, [dest], manyFindings(2), clock.now(), 'first');
    rx.script('hang');
    const first = deliverer.deliverDue();
    // The first pass is waiting on the hung receiver when the second alert is queued and the daemon asks again.
    while (rx.received.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    commitWithAlerts(store, [dest], manyFindings(2), clock.now(), 'second');
    const second = deliverer.deliverDue();
    t.is(second, first, 'one run of passes');
    await rx.close();
    t.is(await first, 2, 'the hung attempt, then the second alert in a pass of its own');
    t.is(rx.received.length, 1, 'the receiver closed: the second attempt failed to connect, but it was made');
    t.like(store.alerts()[1], { attempts: 1 });
  } finally {
    await deliverer.stop();
    store.close();
  }
});
