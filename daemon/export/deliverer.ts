// Drains the export outbox like the alert deliverer drains its own: a row is leased before each batch and its cursor
// moves only after the sink took the batch, so a crash re-sends at most one batch — the same events with the same
// event.id. Each sink is drained in snapshot order and stops at its first failure (later snapshots do not overtake
// an earlier one); sinks are drained in parallel. Failures back off (or honour Retry-After) and a row is
// dead-lettered after max_attempts failures in a row or max_age since it was queued.
import { type ExportRow } from '../inventory/store/export-outbox.ts';
import { type Store } from '../inventory/store/store.ts';
import { type Logger } from '../shared/logger.ts';
import { type BackoffPolicy, DEFAULT_BACKOFF, nextDelay } from '../alert/backoff.ts';
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

const LEASE_SLACK_MS = 5_000;

export class ExportDeliverer {
  private readonly store: Store;
  private sinks: ReadonlyMap<string, ExportSink>;
  private readonly o: Required<Omit<ExportDelivererOptions, 'logger' | 'now' | 'random' | 'host'>>;
  private readonly options: ExportDelivererOptions;
  private readonly now: () => Date;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private stopped = false;
  private again = false;

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
  }

  /** A reloaded config's sinks (rows of a sink no longer configured are dead-lettered when next due). */
  setSinks(sinks: readonly ExportSink[]): void {
    this.sinks = new Map(sinks.map((s) => [s.name, s]));
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** One pass over every due row (a call during a pass gets one more pass right after it). Returns batches sent or tried. */
  deliverDue(): Promise<number> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.passes().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async passes(): Promise<number> {
    let n = 0;
    do {
      this.again = false;
      n += await this.pass();
    } while (this.again && !this.stopped);
    return n;
  }

  private schedule(delayMs: number): void {
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.deliverDue()
        .catch((err: unknown) => this.options.logger.error('export pass failed', { error: err instanceof Error ? err.message : String(err) }))
        .finally(() => this.schedule(this.o.pollMs));
    }, delayMs);
    this.timer.unref?.();
  }

  private async pass(): Promise<number> {
    const bySink = new Map<string, ExportRow[]>();
    for (const row of this.store.exportOutbox.due(this.now(), this.o.rows)) bySink.set(row.sink, [...(bySink.get(row.sink) ?? []), row]);
    const counts = await Promise.all([...bySink.values()].map((rows) => this.drain(rows)));
    return counts.reduce((a, b) => a + b, 0);
  }

  private async drain(rows: readonly ExportRow[]): Promise<number> {
    let n = 0;
    for (const row of rows) {
      if (this.stopped) break;
      const r = await this.deliver(row);
      n += r.batches;
      if (!r.ok) break;
    }
    return n;
  }

  private lease(from: Date): Date {
    return new Date(from.getTime() + this.o.timeoutMs + LEASE_SLACK_MS);
  }

  /** Every remaining batch of one row; stops at the first failure. */
  private async deliver(row: ExportRow): Promise<{ ok: boolean; batches: number }> {
    const x = this.store.exportOutbox;
    const sink = this.sinks.get(row.sink);
    const started = this.now();
    if (!x.claim(row.id, started, this.lease(started))) return { ok: true, batches: 0 };
    const meta = { sink: row.sink, app: row.app, snapshot_id: row.snapshot_id };
    if (!sink) {
      x.dead(row.id, undefined, `sink ${row.sink} is not configured`, started);
      this.options.logger.error('export dead-lettered', { ...meta, error: `sink ${row.sink} is not configured` });
      return { ok: true, batches: 0 };
    }
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
      if (this.stopped) return { ok: false, batches };
    }
    x.sent(row.id, this.now());
    this.options.logger.info('export delivered', { ...meta, events: sent, baseline: row.baseline === 1 });
    return { ok: true, batches };
  }

  private failed(row: ExportRow, result: ExportResult, meta: Record<string, unknown>): void {
    const x = this.store.exportOutbox;
    const now = this.now();
    const error = result.error ?? 'failed';
    const attempt = row.attempts + 1;
    const age = now.getTime() - Date.parse(row.queued_at);
    if (attempt >= this.o.maxAttempts || age >= this.o.maxAgeMs) {
      x.dead(row.id, result.status, error, now);
      this.options.logger.error('export dead-lettered', { ...meta, status: result.status, error, reason: attempt >= this.o.maxAttempts ? 'max attempts' : 'max age' });
      return;
    }
    const next = new Date(now.getTime() + nextDelay(attempt, result.status, result.retryAfter, now, this.o.backoff));
    x.failed(row.id, next, result.status, error);
    this.options.logger.warn('export failed', { ...meta, status: result.status, error, attempt, next_attempt_at: next.toISOString() });
  }
}
