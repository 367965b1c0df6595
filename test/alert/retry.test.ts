// The shared failure rule of both outboxes (daemon/alert/retry.ts): out of attempts, out of age, or when next.
import test from 'ava';
import { DEFAULT_BACKOFF } from '../../daemon/alert/backoff.ts';
import { afterFailure, leaseUntil } from '../../daemon/alert/retry.ts';

const now = new Date('2026-03-01T12:00:00.000Z');
const limits = { maxAttempts: 3, maxAgeMs: 3_600_000, backoff: DEFAULT_BACKOFF, random: () => 0 };

test('a row is dead at its last attempt, and by age; attempts win the reason when both hold', (t) => {
  t.deepEqual(afterFailure(3, now.toISOString(), {}, now, limits), { dead: 'max attempts' });
  t.deepEqual(afterFailure(1, '2026-03-01T11:00:00.000Z', {}, now, limits), { dead: 'max age' });
  t.deepEqual(afterFailure(3, '2026-03-01T10:00:00.000Z', {}, now, limits), { dead: 'max attempts' });
});

test('otherwise the next attempt follows the backoff, or a 429 Retry-After', (t) => {
  const backoff = afterFailure(2, now.toISOString(), { status: 500 }, now, limits);
  t.is(backoff.dead, undefined);
  if (!backoff.dead) t.is(backoff.next.getTime() - now.getTime(), DEFAULT_BACKOFF.baseMs); // 2 s·2 halved (random 0)
  const asked = afterFailure(1, now.toISOString(), { status: 429, retryAfter: '30' }, now, limits);
  if (!asked.dead) t.is(asked.next.toISOString(), '2026-03-01T12:00:30.000Z');
  else t.fail('a first failure is not dead');
});

test('an attempt is leased for its timeout plus slack', (t) => {
  t.is(leaseUntil(now, 10_000).getTime() - now.getTime(), 15_000);
});
