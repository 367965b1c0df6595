// Drains the outbox: every due alert gets one attempt per pass; a 2xx marks it sent, a failure schedules the next
// attempt (backoff, or the service's Retry-After) or dead-letters it once it has had its attempts or its age.
// At-least-once: a row is claimed (counted, leased) before it is sent and marked after, so only a crash between a 2xx
// and the mark can send it twice — with the same delivery id. Destinations are drained in parallel, each in order.
// A row whose destination a reload removed is held, never attempted, until the name is back or its age is out (removed.ts).
import { type AlertRow, type DueAlert, type Store } from '../inventory/store/store.ts';
import { type Logger } from '../shared/logger.ts';
import { PassLoop, drainGroups } from '../shared/pass-loop.ts';
import { type BackoffPolicy, DEFAULT_BACKOFF } from './backoff.ts';
import { type AlertDestination } from './destination.ts';
import { type HeldRows, holdRow, releaseHeld } from './removed.ts';
import { afterFailure, leaseUntil } from './retry.ts';
import { sendOnce, type SendResult } from './send.ts';

export interface DelivererOptions {
  readonly logger: Logger;
  readonly now?: () => Date;
  /** One attempt's time limit (default 10 s). */
  readonly timeoutMs?: number;
  /** Attempts before an alert is dead (default 1000: with the backoff's 10-minute cap, more than max_age lasts, so an
   * outage shorter than max_age loses nothing). */
  readonly maxAttempts?: number;
  /** Age since queued after which a failed alert is dead (default 24 h); every alert gets at least one attempt — unless its destination was removed, then it is held until this age. */
  readonly maxAgeMs?: number;
  /** How often start() looks for due alerts (default 1 s). */
  readonly pollMs?: number;
  readonly backoff?: BackoffPolicy;
  /** Jitter source (tests make it fixed). */
  readonly random?: () => number;
  /** Rows taken per pass (default 100). */
  readonly batch?: number;
}

export const DELIVERY_DEFAULTS = { timeoutMs: 10_000, maxAttempts: 1000, maxAgeMs: 24 * 3_600_000, pollMs: 1_000, batch: 100 } as const;

export class OutboxDeliverer {
  private readonly store: Store;
  private destinations: ReadonlyMap<string, AlertDestination>;
  private readonly o: Required<Omit<DelivererOptions, 'logger' | 'now' | 'random'>> & Pick<DelivererOptions, 'random'>;
  private readonly logger: Logger;
  private readonly now: () => Date;
  private readonly loop: PassLoop;
  private readonly held: HeldRows<AlertRow>;
  /** A release failed (logged): tried again before the next pass. */
  private releaseAgain = false;

  constructor(store: Store, destinations: readonly AlertDestination[], options: DelivererOptions) {
    this.store = store;
    this.destinations = new Map(destinations.map((d) => [d.name, d]));
    this.logger = options.logger;
    this.now = options.now ?? (() => new Date());
    this.o = {
      timeoutMs: options.timeoutMs ?? DELIVERY_DEFAULTS.timeoutMs,
      maxAttempts: options.maxAttempts ?? DELIVERY_DEFAULTS.maxAttempts,
      maxAgeMs: options.maxAgeMs ?? DELIVERY_DEFAULTS.maxAgeMs,
      pollMs: options.pollMs ?? DELIVERY_DEFAULTS.pollMs,
      batch: options.batch ?? DELIVERY_DEFAULTS.batch,
      backoff: options.backoff ?? DEFAULT_BACKOFF,
      random: options.random,
    };
    this.loop = new PassLoop(() => this.pass(), this.o.pollMs, (err: unknown) => this.logger.error('alert delivery pass failed', { error: err instanceof Error ? err.message : String(err) }));
    this.held = {
      kind: 'destination',
      what: 'alert',
      logger: this.logger,
      name: (r) => r.destination,
      meta: (r) => ({ delivery_id: r.delivery_id, destination: r.destination, app: r.app, snapshot_id: r.snapshot_id }),
      outbox: {
        // A due row is never under a lease, so these always take it.
        hold: (r, _now, until, note) => {
          store.alertFailed(r.id, until, r.last_status ?? undefined, note);
          return true;
        },
        bury: (r, now, note) => {
          store.alertDead(r.id, r.last_status ?? undefined, note, now);
          return true;
        },
        releaseHeld: (now, note) => store.releaseHeldAlerts(now, note),
      },
    };
    // The config may have changed while the daemon was down: rows held for a destination that is back are due now.
    this.release();
  }

  /**
   * Hot reload (issue 12): the next attempt of each row uses the destinations in force then. A row whose destination
   * was removed (or renamed) is held when it comes due (hold()); rows held for a name configured again are due now.
   */
  setDestinations(destinations: readonly AlertDestination[]): void {
    this.destinations = new Map(destinations.map((d) => [d.name, d]));
    this.release();
  }

  /** Makes the rows held for a destination that is configured again due now (a row under an attempt's lease is left alone). */
  private release(): void {
    this.releaseAgain = !releaseHeld(this.held, (name) => this.destinations.has(name), this.now());
  }

  /** Delivers on its own timer until stop(). */
  start(): void {
    this.loop.start();
  }

  /** Stops the timer and waits for the pass under way (each attempt is bounded by the timeout). */
  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** One pass: an attempt at every due alert (one more right after the pass under way). Returns the number of attempts made. */
  deliverDue(): Promise<number> {
    return this.loop.run();
  }

  private pass(): Promise<number> {
    if (this.releaseAgain) this.release();
    return drainGroups(this.store.dueAlerts(this.now(), this.o.batch), (row) => row.destination, (rows) => this.drain(rows));
  }

  private async drain(rows: readonly DueAlert[]): Promise<number> {
    let attempts = 0;
    for (const row of rows) {
      if (this.loop.stopped) break;
      if (await this.attempt(row)) attempts++;
    }
    return attempts;
  }

  /** One attempt at one row; false when another deliverer had it or it is no longer due. */
  private async attempt(row: DueAlert): Promise<boolean> {
    const d = this.destinations.get(row.destination);
    const started = this.now();
    if (!d) return this.hold(row, started);
    if (!this.store.claimAlert(row.id, started, leaseUntil(started, this.o.timeoutMs))) return false;
    const attempt = row.attempts + 1;
    const meta = { delivery_id: row.delivery_id, destination: row.destination, app: row.app, snapshot_id: row.snapshot_id, attempt };
    const result = await sendOnce(d, row.body, row.delivery_id, { now: started, timeoutMs: this.o.timeoutMs });
    const done = this.now();
    if (result.ok) {
      this.store.alertSent(row.id, result.status ?? 200, done);
      this.logger.info('alert delivered', { ...meta, status: result.status });
    } else this.failed(row, attempt, result, done, meta);
    return true;
  }

  /**
   * A due row whose destination is not configured (removed or renamed by a reload): not attempted and not counted;
   * held until its maximum age, then dead with that reason. Returns false: no attempt was made.
   */
  private hold(row: DueAlert, now: Date): boolean {
    holdRow(this.held, row, now, this.o.maxAgeMs);
    return false;
  }

  private failed(row: DueAlert, attempt: number, result: SendResult, now: Date, meta: Record<string, unknown>): void {
    const error = result.error ?? 'failed';
    const then = afterFailure(attempt, row.queued_at, result, now, this.o);
    if (then.dead) {
      this.store.alertDead(row.id, result.status, error, now);
      this.logger.error('alert dead-lettered', { ...meta, status: result.status, error, reason: then.dead });
      return;
    }
    this.store.alertFailed(row.id, then.next, result.status, error);
    this.logger.warn('alert delivery failed', { ...meta, status: result.status, error, next_attempt_at: then.next.toISOString() });
  }
}
