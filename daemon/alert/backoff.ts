// When to try a failed delivery again: exponential backoff with jitter, unless the service said when (Retry-After on
// 429 and 503, honoured up to a cap so that a hostile or broken value cannot park an alert for days).

export interface BackoffPolicy {
  /** Delay after the first failure, before jitter. */
  readonly baseMs: number;
  /** Largest delay, before jitter. */
  readonly maxMs: number;
  /** Longest Retry-After honoured as given; a longer one is cut to this. */
  readonly maxRetryAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 2_000, maxMs: 10 * 60_000, maxRetryAfterMs: 60 * 60_000 };

/**
 * Delay after the `attempt`-th failure (1-based): base·2^(attempt-1) capped at max, then "equal jitter" — half of it
 * fixed, half random — so many alerts failing together spread out but none retries at once.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** Retry-After (delta-seconds or an HTTP-date) as a delay from `now`; undefined when absent or unreadable. */
export function retryAfterMs(header: string | undefined, now: Date): number | undefined {
  if (header === undefined) return undefined;
  const v = header.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  if (Number.isNaN(at) || !/[a-z]/i.test(v)) return undefined;
  return Math.max(0, at - now.getTime());
}

/** The delay before the next attempt: the service's Retry-After on 429/503 (capped), else the backoff. */
export function nextDelay(attempt: number, status: number | undefined, retryAfter: string | undefined, now: Date, policy: BackoffPolicy, random?: () => number): number {
  const asked = status === 429 || status === 503 ? retryAfterMs(retryAfter, now) : undefined;
  if (asked !== undefined) return Math.min(asked, policy.maxRetryAfterMs);
  return backoffDelay(attempt, policy, random);
}
