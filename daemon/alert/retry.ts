// What an outbox row's failed attempt leads to, and how long an attempt holds its lease — shared by the alert and
// export deliverers so both outboxes back off and dead-letter by the same rule.
import { type BackoffPolicy, nextDelay } from './backoff.ts';

/** How long past its timeout a claimed attempt stays leased: after a crash mid-attempt, the row waits the timeout plus this. */
const LEASE_SLACK_MS = 5_000;

/** The end of the lease of an attempt that starts at `from`. */
export function leaseUntil(from: Date, timeoutMs: number): Date {
  return new Date(from.getTime() + timeoutMs + LEASE_SLACK_MS);
}

export interface RetryLimits {
  readonly maxAttempts: number;
  readonly maxAgeMs: number;
  readonly backoff: BackoffPolicy;
  /** Jitter source; Math.random when absent. */
  readonly random?: (() => number) | undefined;
}

export type AfterFailure = { readonly dead: 'max attempts' | 'max age' } | { readonly dead?: undefined; readonly next: Date };

/** The `attempt`-th failure (1-based) of a row queued at `queuedAt`: dead once out of attempts or age, else when to try again. */
export function afterFailure(attempt: number, queuedAt: string, failure: { readonly status?: number | undefined; readonly retryAfter?: string | undefined }, now: Date, limits: RetryLimits): AfterFailure {
  if (attempt >= limits.maxAttempts) return { dead: 'max attempts' };
  if (now.getTime() - Date.parse(queuedAt) >= limits.maxAgeMs) return { dead: 'max age' };
  return { next: new Date(now.getTime() + nextDelay(attempt, failure.status, failure.retryAfter, now, limits.backoff, limits.random)) };
}
