// The retry policy on its own: exponential backoff with equal jitter inside its bounds, Retry-After in seconds or as
// an HTTP date, honoured only on 429/503 and never beyond its cap.
import test from 'ava';
import { backoffDelay, nextDelay, retryAfterMs } from '../../daemon/alert/backoff.ts';

const POLICY = { baseMs: 1_000, maxMs: 60_000, maxRetryAfterMs: 3_600_000 };
const NOW = new Date('2026-03-01T12:00:00Z');

test('backoff doubles from the base up to the cap; jitter keeps it between half and all of that', (t) => {
  const ceilings = [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000];
  ceilings.forEach((c, i) => {
    t.is(backoffDelay(i + 1, POLICY, () => 0), c / 2, `attempt ${i + 1}, least jitter`);
    t.is(backoffDelay(i + 1, POLICY, () => 0.999999), Math.round(c / 2 + 0.999999 * (c / 2)), `attempt ${i + 1}, most jitter`);
  });
  t.is(backoffDelay(500, POLICY, () => 0.5), 45_000, 'a huge attempt count stays at the cap (no overflow to Infinity)');
  const spread = new Set(Array.from({ length: 50 }, () => backoffDelay(3, POLICY)));
  t.true(spread.size > 10, 'Math.random jitter spreads retries');
  for (const d of spread) t.true(d >= 2_000 && d <= 4_000);
});

test('Retry-After: delta seconds, an HTTP date, or nothing usable', (t) => {
  t.is(retryAfterMs('7', NOW), 7_000);
  t.is(retryAfterMs(' 0 ', NOW), 0);
  t.is(retryAfterMs('Sun, 01 Mar 2026 12:02:00 GMT', NOW), 120_000);
  t.is(retryAfterMs('Sun, 01 Mar 2026 11:00:00 GMT', NOW), 0, 'a date in the past: now');
  t.is(retryAfterMs('soon', NOW), undefined);
  t.is(retryAfterMs('-5', NOW), undefined);
  t.is(retryAfterMs('1.5', NOW), undefined);
  t.is(retryAfterMs(undefined, NOW), undefined);
});

test('the next delay honours Retry-After on 429 and 503 only, capped; otherwise backs off', (t) => {
  t.is(nextDelay(1, 429, '30', NOW, POLICY, () => 0), 30_000);
  t.is(nextDelay(1, 503, '30', NOW, POLICY, () => 0), 30_000);
  t.is(nextDelay(1, 500, '30', NOW, POLICY, () => 0), 500, 'a 500 with Retry-After still backs off');
  t.is(nextDelay(1, 429, '999999', NOW, POLICY, () => 0), 3_600_000, 'capped');
  t.is(nextDelay(3, 429, undefined, NOW, POLICY, () => 0), 2_000, '429 without Retry-After: backoff');
  t.is(nextDelay(2, undefined, undefined, NOW, POLICY, () => 0), 1_000, 'no response (timeout, refused): backoff');
});

test('the default attempts outlast the default max_age even at the shortest jitter: a webhook down for less than max_age loses no alert', async (t) => {
  const { DEFAULT_BACKOFF } = await import('../../daemon/alert/backoff.ts');
  const { loadConfig } = await import('../../daemon/config/config.ts');
  const { writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tempDir } = await import('../helpers/temp.ts');
  const file = join(tempDir('sealwatch-backoff-'), 'sealwatch.yaml');
  writeFileSync(file, 'apps:\n  - name: a\n    path: /x\n');
  const { delivery } = loadConfig(file, {});
  let waited = 0;
  for (let attempt = 1; attempt < delivery.maxAttempts; attempt++) waited += backoffDelay(attempt, DEFAULT_BACKOFF, () => 0);
  t.true(waited > delivery.maxAgeMs, `the last attempt comes ${(waited / 3_600_000).toFixed(1)} h after the first; max_age is ${delivery.maxAgeMs / 3_600_000} h`);
});
