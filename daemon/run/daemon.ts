// `sealwatch run`: watch every app root, scan each update once it settles, deliver its alerts.
// Start: the watchers first (an update that begins during the reconciliation is then not missed), the reconciliation
// scan of every app (what changed while the daemon was down; an app's first scan is its baseline), the schedules,
// the deliverer and the optional loopback HTTP endpoint. Stop: the reverse, waiting a bounded time for the scan under
// way — a scan commits in one transaction, so one abandoned mid-way leaves nothing behind.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import cron, { type ScheduledTask } from 'node-cron';
import { type AppConfig, type SealwatchConfig } from '../config/config.ts';
import { type DaemonDeps } from '../deps.ts';
import { redactor } from '../log/logger.ts';
import { logSecrets } from '../log/secrets.ts';
import { errorMessage } from '../shared/errors.ts';
import { SEVERITY_ORDER } from '../shared/findings.ts';
import { SettleBatcher } from '../watch/settle.ts';
import { collectGarbage } from './gc.ts';
import { type RootWatcher } from '../watch/root-watcher.ts';
import { startHttp, type HttpEndpoint } from './http.ts';
import { DaemonMetrics } from './metrics.ts';
import { ScanQueue } from './scan-queue.ts';
import { type RunningScan, type ScanProcess, ScanProcessDied } from './scan-runner.ts';
import { type ScanSummary } from './scan-thread-protocol.ts';
import { type QueuedScan, type ScanTrigger } from './types.ts';

/** How long a shutdown waits for the scan under way before abandoning it. */
export const SHUTDOWN_GRACE_MS = 10_000;
/** A failed scan's first retry, doubling up to the last (scanFailed). */
export const SCAN_RETRY_FIRST_MS = 5_000;
export const SCAN_RETRY_MAX_MS = 10 * 60_000;

export class Daemon {
  readonly metrics: DaemonMetrics;
  private readonly d: DaemonDeps;
  private readonly apps = new Map<string, AppConfig>();
  private readonly watchers = new Map<string, RootWatcher>();
  private readonly batcher: SettleBatcher;
  private readonly queue: ScanQueue;
  private readonly tasks: ScheduledTask[] = [];
  /** Each schedule by name (= its key under `schedules:`), for hot reload (issue 12). */
  private readonly scheduled = new Map<string, { task: ScheduledTask; expression: string; fn: () => void }>();
  /** Sampled only when /metrics exists (a timer every 50 ms would otherwise wake an idle daemon for nothing). */
  private readonly loopDelay = monitorEventLoopDelay({ resolution: 50 });
  private http: HttpEndpoint | undefined;
  /** The scan under way. */
  private running: RunningScan | undefined;
  /** A scan process started ahead of the next scan (an update is settling). */
  private warm: ScanProcess | undefined;
  private stopping = false;
  private closed = false;
  private lastScanAt: string | undefined;
  /** Apps whose last scan failed (a locked or busy database, a full disk): retried, and shown by /healthz. */
  private readonly failing = new Map<string, { readonly since: string; readonly attempts: number; readonly error: string; readonly deep: boolean; readonly retry: NodeJS.Timeout }>();

  constructor(deps: DaemonDeps, apps: readonly AppConfig[] = deps.config.apps) {
    this.d = deps;
    for (const a of apps) this.apps.set(a.name, a);
    this.queue = new ScanQueue((app, trigger) => this.scan(app, trigger));
    this.batcher = new SettleBatcher(deps.config.watch.settleMs, deps.config.watch.maxWaitMs, (app, waitedMs) => {
      deps.logger.debug('update settled', { app, waited_ms: Math.round(waitedMs) });
      this.queue.request(app, 'watch');
    });
    this.metrics = new DaemonMetrics(
      () => (this.closed ? undefined : this.outboxCounts()),
      () => this.watchStates(),
      () => {
        const max = this.loopDelay.max / 1e9;
        this.loopDelay.reset();
        return Number.isFinite(max) ? max : 0;
      },
    );
  }

  async start(): Promise<void> {
    const { config, logger } = this.d;
    if (config.http) this.loopDelay.enable();
    logger.info('sealwatch starting', { config: config.source, database: this.d.store.file, apps: this.apps.size, alerts: config.alerts.map((a) => `${a.name} (${a.type}, min ${a.minSeverity})`), settle_ms: config.watch.settleMs, max_wait_ms: config.watch.maxWaitMs, workers: this.d.workers, scan_process: true });
    for (const app of this.apps.values()) await this.watch(app);
    void Promise.all([...this.watchers.values()].map((w) => w.ready)).then(() => collectGarbage());
    for (const app of this.apps.keys()) this.queue.request(app, 'schedule');
    this.schedule('rescan', config.schedules.rescan, () => {
      logger.info('scheduled rescan of every app', { deep: true });
      for (const app of this.apps.keys()) this.queue.request(app, 'deep');
    });
    this.scheduleManifestRefresh();
    this.schedule('maintenance', config.schedules.maintenance, () => this.maintain());
    this.d.deliverer.start();
    // export (issue 12, FLEET): start — stopped in closeDeps with the alert deliverer
    this.d.exporter?.start();
    // export: end
    if (config.http) {
      // issue 13 (report): /report and /ioc, read from the daemon's history on each request, in a worker thread
      const { PageRenderer } = await import('../report/off-thread.ts');
      const pages = new PageRenderer(this.d.store);
      this.http = await startHttp(config.http.host, config.http.port, { health: () => this.health(), metrics: () => this.metrics.text(), page: (path, query) => pages.serve(path, query, this.d.clock.now()) });
      logger.info('http endpoint listening', { host: this.http.host, port: this.http.port });
    }
  }

  /** Resolves when the start-up reconciliation (and anything queued meanwhile) has been scanned. */
  reconciled(): Promise<void> {
    return this.queue.idle();
  }

  async stop(reason: string): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const { logger } = this.d;
    logger.info('sealwatch stopping', { reason, scanning: this.queue.scanning ?? null });
    this.batcher.close();
    for (const f of this.failing.values()) clearTimeout(f.retry);
    await this.warm?.dispose();
    this.warm = undefined;
    for (const t of this.tasks) await t.destroy();
    await Promise.all([...this.watchers.values()].map((w) => w.close()));
    await this.http?.close();
    const current = this.queue.scanning;
    const finished = await Promise.race([this.queue.stop().then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), SHUTDOWN_GRACE_MS).unref())]);
    // Abandoned: its rows wait in a connection-private staging table and its commit never happens; the scan lock row
    // names this pid, which the next start sees is gone.
    if (!finished) {
      logger.warn('abandoning the scan under way (nothing of it is committed)', { app: current });
      await this.running?.abandon();
    }
    this.loopDelay.disable();
    this.closed = true;
  }

  private async watch(app: AppConfig): Promise<void> {
    const w = this.d.watchRoot({
      app: app.name,
      root: app.path,
      rootCheckMs: this.d.config.watch.rootCheckMs,
      pollMs: this.d.config.watch.pollMs,
      logger: this.d.logger,
      onChange: (name) => {
        // The first event of an update: start the scan process now, so that it has loaded when the update settles.
        if (!this.batcher.isDirty(name) && !this.stopping) this.warm ??= this.d.scanProcess();
        this.batcher.touch(name);
      },
      onRescan: (name, why) => {
        this.d.logger.info('rescan requested', { app: name, why });
        this.queue.request(name, 'schedule');
      },
    });
    this.watchers.set(app.name, w);
    await w.start();
  }

  private schedule(name: string, expression: string, fn: () => void): void {
    const tz = this.d.config.schedules.timezone;
    const task = cron.schedule(expression, () => fn(), { name: `sealwatch-${name}`, noOverlap: true, ...(tz ? { timezone: tz } : {}) });
    this.tasks.push(task);
    this.scheduled.set(name, { task, expression, fn });
  }

  /**
   * Hot reload (issue 12, CFG; daemon/config/reload.ts): `next` is valid and already in deps.config. Apps added are
   * watched and scanned, apps removed are unwatched, apps changed are watched anew; a schedule whose expression or
   * time zone changed is replaced. Alert destinations and policies take effect through deps (the next delivery, the
   * next scan). Settings read only at start (database, log, http, workers, verification, watch timings) are named
   * in the log as needing a restart.
   */
  async reload(previous: SealwatchConfig, apps: readonly AppConfig[]): Promise<void> {
    if (this.stopping) return;
    const next = this.d.config;
    const same = (a: AppConfig, b: AppConfig | undefined): boolean => JSON.stringify(a) === JSON.stringify(b);
    const wanted = new Map(apps.map((a) => [a.name, a]));
    for (const [name, old] of [...this.apps]) {
      if (same(old, wanted.get(name))) continue;
      this.apps.delete(name);
      this.batcher.forget(name);
      this.stopRetrying(name);
      await this.watchers.get(name)?.close();
      this.watchers.delete(name);
      if (!wanted.has(name)) this.d.logger.info('app removed from the watch', { app: name });
    }
    for (const app of wanted.values()) {
      if (this.apps.has(app.name)) continue;
      this.apps.set(app.name, app);
      await this.watch(app);
      this.d.logger.info('app added to the watch', { app: app.name, root: app.path });
      this.queue.request(app.name, 'schedule');
    }
    const tzChanged = previous.schedules.timezone !== next.schedules.timezone;
    for (const [name, s] of [...this.scheduled]) {
      const expression = (next.schedules as unknown as Record<string, string | undefined>)[name];
      if (expression === undefined || (expression === s.expression && !tzChanged)) continue;
      await s.task.destroy();
      this.tasks.splice(this.tasks.indexOf(s.task), 1);
      this.schedule(name, expression, s.fn);
      this.d.logger.info('schedule changed', { schedule: name, expression });
    }
    const restart = (['database', 'log', 'http', 'workers', 'verification', 'watch'] as const).filter((k) => JSON.stringify(previous[k]) !== JSON.stringify(next[k]));
    if (restart.length) this.d.logger.warn('config changes that take effect at the next restart', { settings: restart });
    this.d.logger.info('config reloaded', { config: next.source, apps: this.apps.size, alerts: next.alerts.map((a) => a.name), policies: (next.policies ?? []).map((p) => p.name) });
  }

  /** Refreshes every URL manifest source on its own schedule, so a scan finds a current copy (or the last good one). */
  private scheduleManifestRefresh(): void {
    const apps = [...this.apps.values()].filter((a) => a.manifest && /^https:\/\//i.test(a.manifest));
    if (apps.length === 0) return;
    const { logger } = this.d;
    // Loaded only when some app has a URL manifest: the idle daemon does not carry the fetcher otherwise.
    const stages = import('../manifest/stage.ts').then(({ ManifestStage }) => apps.map((a) => ManifestStage.forApp(a, { cacheDir: this.d.manifestCache })));
    this.schedule('manifests', this.d.config.schedules.manifests, () => {
      void Promise.all([stages, import('../manifest/refresh.ts')])
        .then(([s, { refreshSources }]) => refreshSources(s, this.d.clock.now()))
        .then((outcomes) => {
          for (const o of outcomes) (o.state === 'failed' || o.state === 'stale' ? logger.warn : logger.info)('manifest source refreshed', { url: o.url, state: o.state, ...(o.error ? { error: o.error } : {}) });
        })
        .catch((err: unknown) => logger.error('manifest refresh failed', { error: errorMessage(err) }));
    });
  }

  /** One scan of one app: the ScanQueue guarantees no other scan runs meanwhile. */
  private async scan(name: string, queued: QueuedScan): Promise<void> {
    const trigger: ScanTrigger = queued === 'deep' ? 'schedule' : queued;
    const app = this.apps.get(name);
    if (!app || this.stopping) return;
    // Events up to now are covered by this scan; later ones mark the app dirty again (one more scan after this one).
    this.batcher.forget(name);
    const w = this.watchers.get(name);
    if (w?.state === 'missing') {
      // Nothing to scan, so no failure to retry: the watch state reports the missing root, and its return rescans.
      this.stopRetrying(name);
      this.d.logger.warn('scan skipped: the app root is missing', { app: name, root: app.path, trigger });
      return;
    }
    const { logger } = this.d;
    const started = performance.now();
    const deep = queued === 'deep';
    try {
      const r = await this.runScan(app, trigger, deep).catch(async (err: unknown) => {
        // A scan process that died (killed, crashed, out of memory) committed nothing: report it and try once more.
        if (!(err instanceof ScanProcessDied) || this.stopping) throw err;
        logger.error('scan process died: retrying the scan once', { app: name, trigger, error: errorMessage(err) });
        return this.runScan(app, trigger, deep);
      });
      this.scanned(name, trigger, deep, r, (performance.now() - started) / 1000);
    } catch (err) {
      if (this.closed) return;
      this.metrics.scans.inc({ app: name, trigger, result: 'error' });
      this.scanFailed(name, queued, trigger, err);
    } finally {
      this.running = undefined;
      if (!this.closed) collectGarbage();
    }
  }

  /**
   * A scan that failed is tried again, later and later (5 s doubling to 10 min): the events it was to cover were
   * forgotten when it started, so without a retry a change would wait for the next unrelated event or the nightly
   * rescan. Until one succeeds the app is listed as failing by /healthz (503).
   */
  private scanFailed(name: string, queued: QueuedScan, trigger: ScanTrigger, err: unknown): void {
    const before = this.failing.get(name);
    if (before) clearTimeout(before.retry);
    const attempts = (before?.attempts ?? 0) + 1;
    const delayMs = Math.min(SCAN_RETRY_MAX_MS, SCAN_RETRY_FIRST_MS * 2 ** Math.min(attempts - 1, 20));
    const retry = setTimeout(() => {
      if (!this.stopping && this.apps.has(name)) this.queue.request(name, queued);
    }, delayMs).unref();
    this.failing.set(name, { since: before?.since ?? this.d.clock.now().toISOString(), attempts, error: errorMessage(err), deep: queued === 'deep' || before?.deep === true, retry });
    this.d.logger.error('scan failed', { app: name, trigger, error: errorMessage(err), failures: attempts, retry_in_s: delayMs / 1000 });
  }

  private stopRetrying(name: string): void {
    clearTimeout(this.failing.get(name)?.retry);
    this.failing.delete(name);
  }

  /** One attempt, in the process started ahead (an update settling) or a fresh one. */
  private runScan(app: AppConfig, trigger: ScanTrigger, deep: boolean): Promise<ScanSummary> {
    const child = this.warm ?? this.d.scanProcess();
    this.warm = undefined;
    this.d.logger.info('scan started', { app: app.name, trigger, deep, scan_pid: child.pid ?? null });
    const running = child.run({ app: app.name, root: app.path, trigger, now: this.d.clock.now().toISOString(), ...(deep ? { deep } : {}), ...(app.manifest ? { manifest: app.manifest, manifestKeys: app.manifestKeys ?? [] } : {}), ...(app.version ? { appVersion: app.version } : {}), ...(app.vendor ? { vendor: app.vendor } : {}) });
    this.running = running;
    return running.result;
  }

  /** Logs and counts a finished scan; its alerts go out now rather than at the deliverer's next tick. */
  private scanned(name: string, trigger: ScanTrigger, deep: boolean, r: ScanSummary, seconds: number): void {
    const { logger } = this.d;
    this.lastScanAt = this.d.clock.now().toISOString();
    const failed = this.failing.get(name);
    if (failed) {
      this.stopRetrying(name);
      logger.info('scans work again', { app: name, failed_since: failed.since, failures: failed.attempts });
      // A failed nightly deep rescan is still owed: a quick scan that worked does not re-read every file.
      if (failed.deep && !deep && !this.stopping) this.queue.request(name, 'deep');
    }
    const counts = Object.fromEntries(SEVERITY_ORDER.map((s) => [s, r.findings.filter((f) => f.severity === s && !f.explained).length]));
    for (const f of r.findings) if (!f.explained) this.metrics.findings.inc({ severity: f.severity });
    this.metrics.scans.inc({ app: name, trigger, result: 'ok' });
    this.metrics.scanDuration.observe({ app: name }, seconds);
    for (const m of r.manifests ?? []) if (m.state !== 'used' || m.stale) logger.warn(m.state === 'used' ? 'manifest used (last good copy)' : m.state === 'rejected' ? 'manifest rejected' : 'manifest not used', { app: name, manifest: m.name, detail: m.detail ?? m.stale ?? null });
    logger.info('scan finished', { app: name, snapshot_id: r.snapshotId, trigger, deep, baseline: r.baseline, from_version: r.fromVersion, to_version: r.toVersion, files: r.files, read: r.read, reused: r.reused, changes: r.changes, findings: counts, unreadable: r.unreadable, alerts: r.alerts.length, seconds: Number(seconds.toFixed(3)) });
    for (const f of r.findings) if (!f.explained && f.severity !== 'info') logger.info('finding', { app: name, snapshot_id: r.snapshotId, rule: f.rule, severity: f.severity, path: f.path ?? null });
    for (const a of r.alerts) logger.info('alert queued', { app: name, snapshot_id: r.snapshotId, delivery_id: a.deliveryId, destination: a.destination });
    if (r.alerts.length && !this.stopping) void this.d.deliverer.deliverDue().catch((err: unknown) => logger.error('alert delivery pass failed', { error: errorMessage(err) }));
    // export (issue 12, FLEET): the scan's events go out now rather than at the next tick
    if (this.d.exporter && !this.stopping) void this.d.exporter.deliverDue().catch((err: unknown) => logger.error('export pass failed', { error: errorMessage(err) }));
  }

  private maintain(): void {
    try {
      const r = this.d.store.maintain();
      this.d.logger.info('database maintenance done', { database: this.d.store.file, wal_frames: r.walFrames, checkpointed: r.checkpointed, busy: r.busy });
    } catch (err) {
      this.d.logger.error('database maintenance failed', { database: this.d.store.file, error: errorMessage(err) });
    }
  }

  private outboxCounts(): { pending: number; dead: number; failures: number } {
    const c = this.d.store.alertCounts();
    return { pending: c.pending, dead: c.dead, failures: this.d.deliveryFailures() };
  }

  private watchStates(): Record<string, number> {
    const states: Record<string, number> = { watching: 0, polling: 0, missing: 0, starting: 0 };
    for (const w of this.watchers.values()) if (w.state !== 'closed') states[w.state] = (states[w.state] ?? 0) + 1;
    return states;
  }

  private health(): { ok: boolean; body: Record<string, unknown> } {
    const states = this.watchStates();
    // The error as the log would show it: no webhook URL or key, whatever a failure's message carried.
    const hide = redactor(logSecrets(this.d.config));
    const failing = Object.fromEntries([...this.failing].map(([app, f]) => [app, { since: f.since, failures: f.attempts, error: hide(f.error) }]));
    return {
      ok: !this.stopping && this.failing.size === 0,
      body: { status: this.stopping ? 'stopping' : this.failing.size ? 'failing' : 'ok', apps: this.apps.size, ...(this.failing.size ? { failing } : {}), watch: states, scanning: this.queue.scanning ?? null, queued: this.queue.depth, settling: this.batcher.pending, last_scan_at: this.lastScanAt ?? null, memory: memoryMiB() },
    };
  }
}

/** Process memory in MiB, for /healthz. */
function memoryMiB(): Record<string, number> {
  const m = process.memoryUsage();
  const mib = (n: number): number => Math.round((n / 2 ** 20) * 10) / 10;
  return { rss: mib(m.rss), heap_total: mib(m.heapTotal), heap_used: mib(m.heapUsed), external: mib(m.external), array_buffers: mib(m.arrayBuffers) };
}
