// Prometheus metrics of the daemon (prom-client, a registry of its own: no global state). Outbox depth and delivery
// failures are read from the database when scraped, so they are right even after a restart.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface OutboxCounts {
  readonly pending: number;
  readonly dead: number;
  readonly failures: number;
}

export class DaemonMetrics {
  readonly registry = new Registry();
  readonly scans = new Counter({ name: 'sealwatch_scans_total', help: 'Scans finished, by trigger and result', labelNames: ['app', 'trigger', 'result'] as const, registers: [this.registry] });
  readonly scanDuration = new Histogram({ name: 'sealwatch_scan_duration_seconds', help: 'Duration of a scan', labelNames: ['app'] as const, buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800], registers: [this.registry] });
  readonly findings = new Counter({ name: 'sealwatch_findings_total', help: 'Findings raised by scans, by severity', labelNames: ['severity'] as const, registers: [this.registry] });
  readonly eventLoopDelay = new Gauge({ name: 'sealwatch_event_loop_delay_max_seconds', help: 'Longest event-loop stall since the previous scrape', registers: [this.registry] });
  readonly watching = new Gauge({ name: 'sealwatch_watched_apps', help: 'Apps by watch state (watching, polling, missing)', labelNames: ['state'] as const, registers: [this.registry] });

  constructor(outbox: () => OutboxCounts | undefined, watchStates: () => Record<string, number>, loopDelayMaxSeconds: () => number) {
    const registry = this.registry;
    new Gauge({
      name: 'sealwatch_outbox_depth',
      help: 'Alerts waiting in the outbox, by state',
      labelNames: ['state'] as const,
      registers: [registry],
      collect() {
        const c = outbox();
        if (!c) return;
        this.set({ state: 'pending' }, c.pending);
        this.set({ state: 'dead' }, c.dead);
      },
    });
    new Gauge({
      name: 'sealwatch_delivery_failures',
      help: 'Failed delivery attempts recorded in the outbox',
      registers: [registry],
      collect() {
        const c = outbox();
        if (c) this.set(c.failures);
      },
    });
    const watching = this.watching;
    const delay = this.eventLoopDelay;
    this.collectBeforeScrape = () => {
      watching.reset();
      for (const [state, n] of Object.entries(watchStates())) watching.set({ state }, n);
      delay.set(loopDelayMaxSeconds());
    };
  }

  private readonly collectBeforeScrape: () => void;

  async text(): Promise<string> {
    this.collectBeforeScrape();
    return this.registry.metrics();
  }
}
