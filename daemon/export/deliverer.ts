// Drains the export outbox like the alert deliverer drains its own: a row is leased before each batch and its cursor
// moves only after the sink took the batch, so a crash re-sends at most one batch — the same events with the same
// event.id. Each sink is drained in snapshot order and stops at its first failure (later snapshots do not overtake
// an earlier one); sinks are drained in parallel. Failures back off (or honour Retry-After) and a row is
// dead-lettered after max_attempts failures in a row or max_age since it was queued. A row whose sink a reload removed
// is held, never attempted, until the name is back or its age is out (alert/removed.ts).
import { type ExportRow } from '../inventory/store/export-outbox.ts';
import { type Store } from '../inventory/store/store.ts';
import { type Logger } from '../shared/logger.ts';
import { PassLoop, drainGroups } from '../shared/pass-loop.ts';
import { type BackoffPolicy, DEFAULT_BACKOFF } from '../alert/backoff.ts';
import { type HeldRows, holdRow, releaseHeld } from '../alert/removed.ts';
import { afterFailure, leaseUntil } from '../alert/retry.ts';
import { type HostFacts } from './ecs.ts';
import { parseCursor, readBatch } from './events.ts';
import { type ExportResult, sendBatch } from './send.ts';
import { type ExportSink } from './sink.ts';

export interface ExportDelivererOptions {
  readonly logger: Logger;
  /** host.* of the events (default: this machine, see host.ts). */
  readonly host: HostFacts;
  readonly now?: () => Date;
  readonly timeoutMs?: number;
  readonly maxAttempts?: number;
  readonly maxAgeMs?: number;
  readonly pollMs?: number;
  readonly backoff?: BackoffPolicy;
  readonly random?: () => number;
  /** Rows looked at per pass (default 100). */
  readonly rows?: number;
}

export class ExportDeliverer {
  private readonly store: Store;
  private sinks: ReadonlyMap<string, ExportSink>;
  private readonly o: Required<Omit<ExportDelivererOptions, 'logger' | 'now' | 'random' | 'host'>>;
  private readonly options: ExportDelivererOptions;
  private readonly now: () => Date;
  private readonly loop: PassLoop;
  private readonly held: HeldRows<ExportRow>;
  /** A release failed (logged): tried again before the next pass. */
  private releaseAgain = false;

  constructor(store: Store, sinks: readonly ExportSink[], options: ExportDelivererOptions) {
    this.store = store;
    this.sinks = new Map(sinks.map((s) => [s.name, s]));
    this.options = options;
    this.now = options.now ?? (() => new Date());
    this.o = {
      timeoutMs: options.timeoutMs ?? 10_000,
      maxAttempts: options.maxAttempts ?? 20,
      maxAgeMs: options.maxAgeMs ?? 72 * 3_600_000,
      pollMs: options.pollMs ?? 1_000,
      backoff: options.backoff ?? DEFAULT_BACKOFF,
      rows: options.rows ?? 100,
    };
    this.loop = new PassLoop(() => this.pass(), this.o.pollMs, (err: unknown) => this.options.logger.error('export pass failed', { error: err instanceof Error ? err.message : String(err) }));
    const x = store.exportOutbox;
    this.held = {
      kind: 'sink',
      what: 'export',
      logger: options.logger,
      name: (r) => r.sink,
      meta: (r) => ({ sink: r.sink, app: r.app, snapshot_id: r.snapshot_id }),
      outbox: { hold: (r, now, until, note) => x.hold(r.id, now, until, note), bury: (r, now, note) => x.bury(r.id, now, note), releaseHeld: (now, note) => x.releaseHeld(now, note) },
    };
    // The config may have changed while the daemon was down: rows held for a sink that is back are due now.
    this.release();
  }

  /**
   * A reloaded config's sinks, used from the next batch on. A row whose sink was removed (or renamed) is held when it
   * comes due (hold()); rows held for a name configured again are due now.
   */
  setSinks(sinks: readonly ExportSink[]): void {
    this.sinks = new Map(sinks.map((s) => [s.name, s]));
    this.release();
  }

  /** Makes the rows held for a sink that is configured again due now (a row under a batch's lease is left alone). */
  private release(): void {
    this.releaseAgain = !releaseHeld(this.held, (name) => this.sinks.has(name), this.now());
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** One pass over every due row (a call during a pass gets one more pass right after it). Returns batches sent or tried. */
  deliverDue(): Promise<number> {
    return this.loop.run();
  }

  private pass(): Promise<number> {
    if (this.releaseAgain) this.release();
    return drainGroups(this.store.exportOutbox.due(this.now(), this.o.rows), (row) => row.sink, (rows) => this.drain(rows));
  }

  private async drain(rows: readonly ExportRow[]): Promise<number> {
    let n = 0;
    for (const row of rows) {
      if (this.loop.stopped) break;
      const r = await this.deliver(row);
      n += r.batches;
      if (!r.ok) break;
    }
    return n;
  }

  private lease(from: Date): Date {
    return leaseUntil(from, this.o.timeoutMs);
  }

  /** Every remaining batch of one row; stops at the first failure. */
  private async deliver(row: ExportRow): Promise<{ ok: boolean; batches: number }> {
    const x = this.store.exportOutbox;
    const sink = this.sinks.get(row.sink);
    const started = this.now();
    if (!sink) return this.hold(row, started);
    if (!x.claim(row.id, started, this.lease(started))) return { ok: true, batches: 0 };
    const meta = { sink: row.sink, app: row.app, snapshot_id: row.snapshot_id };
    let cursor = parseCursor(row.cursor);
    let batches = 0;
    let sent = row.events_sent;
    for (;;) {
      const batch = readBatch(this.store, this.options.host, row, sink, cursor, sink.batch);
      if (batch.events.length > 0) {
        batches++;
        const result = await sendBatch(sink, batch.events, this.o.timeoutMs);
        if (!result.ok) {
          this.failed(row, result, meta);
          return { ok: false, batches };
        }
        sent += batch.events.length;
        x.progress(row.id, JSON.stringify(batch.cursor), batch.events.length, result.status, this.lease(this.now()));
      } else x.progress(row.id, JSON.stringify(batch.cursor), 0, undefined, this.lease(this.now()));
      cursor = batch.cursor;
      if (batch.done) break;
      if (this.loop.stopped) return { ok: false, batches };
    }
    x.sent(row.id, this.now());
    this.options.logger.info('export delivered', { ...meta, events: sent, baseline: row.baseline === 1 });
    return { ok: true, batches };
  }

  /**
   * A due row whose sink is not configured (removed or renamed by a reload): not attempted and not counted; held
   * until its maximum age, then dead with that reason. The sink's later rows are held the same way.
   */
  private hold(row: ExportRow, now: Date): { ok: boolean; batches: number } {
    holdRow(this.held, row, now, this.o.maxAgeMs);
    return { ok: true, batches: 0 };
  }

  private failed(row: ExportRow, result: ExportResult, meta: Record<string, unknown>): void {
    const x = this.store.exportOutbox;
    const now = this.now();
    const error = result.error ?? 'failed';
    const attempt = row.attempts + 1;
    // No jitter source is passed here: the export retries have always used Math.random.
    const then = afterFailure(attempt, row.queued_at, result, now, { ...this.o, random: undefined });
    if (then.dead) {
      x.dead(row.id, result.status, error, now);
      this.options.logger.error('export dead-lettered', { ...meta, status: result.status, error, reason: then.dead });
      return;
    }
    x.failed(row.id, then.next, result.status, error);
    this.options.logger.warn('export failed', { ...meta, status: result.status, error, attempt, next_attempt_at: then.next.toISOString() });
  }
}
