// `sealwatch run [--config FILE] [--stop-on-stdin-eof]`: the daemon in the foreground until SIGTERM or SIGINT — or,
// with --stop-on-stdin-eof, until its stdin reaches end of file: how the Windows service host
// (scripts/package/service-host) asks it to stop, Windows having no SIGTERM.
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { type AppConfig, loadConfig, platformManagedSources, type SealwatchConfig } from '../config/config.ts';
import { ConfigReloader, rejectionAlerts } from '../config/reload.ts';
import { BundleUpdater } from '../bundle/updater.ts';
import { closeDeps, createDeps } from '../deps.ts';
import { Daemon } from '../run/daemon.ts';
import { errorMessage } from '../shared/errors.ts';
import { requireAdminOnly } from '../shared/permissions.ts';
import { ENV_FILE } from '../service/systemd.ts';
import { ExitCode } from './exit-codes.ts';
import type { Output } from './inspect.ts';

export async function runDaemon(options: { config?: string; set?: string[]; stopOnStdinEof?: boolean }, io: Output): Promise<number> {
  // The unit's environment file sets SEALWATCH_* overrides and secrets: one a non-admin can write is a config they
  // control, already in this process's environment. Refused like a writable config (exit 2).
  if (process.platform === 'linux' && existsSync(ENV_FILE)) requireAdminOnly(ENV_FILE, 'service environment file');
  const load = (): SealwatchConfig => loadConfig(options.config, process.env, { set: options.set ?? [] });
  const config = load();
  const deps = createDeps(config);
  const apps = await withDiscovered(config, (m) => deps.logger.info(m.message, m.meta));
  const daemon = new Daemon(deps, apps);
  let stopping = false;
  const stopped = new Promise<string>((resolve) => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.on(signal, () => {
        if (stopping) {
          // A second signal while stopping: the operator wants out now (nothing uncommitted is ever half-written).
          io.err(`sealwatch: ${signal} again: exiting now`);
          process.exit(ExitCode.unreadable);
        }
        stopping = true;
        resolve(signal);
      });
    }
    if (options.stopOnStdinEof) stopAtStdinEof(() => {
      if (!stopping) (stopping = true, resolve('stdin-eof'));
    });
  });
  try {
    await daemon.start();
  } catch (err) {
    deps.logger.error('sealwatch could not start', { error: errorMessage(err) });
    await daemon.stop('start failed');
    await closeDeps(deps);
    throw err;
  }
  const bundles = new BundleService(deps);
  const reloader = hotReload(config, load, deps, daemon, bundles);
  bundles.configure(config, () => reloader.request('bundle'));
  const signal = await stopped;
  if (options.stopOnStdinEof) process.stdin.destroy(); // stopped by a signal: an open stdin must not keep us running
  await reloader.close();
  await bundles.stop();
  await daemon.stop(signal);
  deps.logger.info('sealwatch stopped', { reason: signal });
  await closeDeps(deps);
  // Nothing should be left running; if a library still holds a handle, do not hang the service manager.
  setTimeout(() => process.exit(ExitCode.ok), 3_000).unref();
  return ExitCode.ok;
}

/** Calls `stop` once stdin ends (closed by the service host, or an error reading it): what is read is discarded. */
function stopAtStdinEof(stop: () => void): void {
  process.stdin.on('data', () => undefined);
  process.stdin.once('end', stop);
  process.stdin.once('error', stop);
  process.stdin.once('close', stop);
}

/** The configured apps, plus (watch.discover) the candidates `sealwatch discover` finds that are not configured. */
async function withDiscovered(config: SealwatchConfig, log: (m: { message: string; meta: object }) => void): Promise<AppConfig[]> {
  const apps = [...config.apps];
  if (!config.watch.discover) return apps;
  const { discoverApps } = await import('../inventory/discover.ts');
  const names = new Set(apps.map((a) => a.name));
  const roots = new Set(apps.map((a) => a.path));
  for (const c of await discoverApps()) {
    if (names.has(c.name) || roots.has(c.root)) continue;
    names.add(c.name);
    roots.add(c.root);
    apps.push({ name: c.name, path: c.root, ...(c.vendor ? { vendor: c.vendor } : {}) });
    log({ message: 'discovered app added to the watch', meta: { app: c.name, root: c.root, source: c.source } });
  }
  return apps;
}

/** Watches the config file and the managed sources; applies a good new config, refuses (logs, alerts) a bad one. */
function hotReload(first: SealwatchConfig, load: () => SealwatchConfig, deps: ReturnType<typeof createDeps>, daemon: Daemon, bundles: BundleService): ConfigReloader {
  const managed = platformManagedSources();
  const reloader = new ConfigReloader({
    files: [first.source, ...(managed.plist ? [managed.plist] : [])],
    ...(managed.registry ? { registry: managed.registry } : {}),
    load,
    apply: async (next) => {
      const previous = deps.config;
      if (JSON.stringify(previous) === JSON.stringify(next)) return;
      const apps = await withDiscovered(next, (m) => deps.logger.info(m.message, m.meta));
      deps.reconfigure(next);
      await daemon.reload(previous, apps);
      bundles.configure(next, () => reloader.request('bundle'));
      reloader.follow(policySources(next));
    },
    reject: (error) => {
      const now = deps.clock.now();
      deps.logger.error('config rejected: the last good config stays in force', { config: deps.config.source, error });
      try {
        deps.store.queueOperationalAlerts(rejectionAlerts(deps.config.alerts, deps.config.source, error, now), now);
        void deps.deliverer.deliverDue().catch((err: unknown) => deps.logger.error('alert delivery pass failed', { error: errorMessage(err) }));
      } catch (err) {
        deps.logger.error('config rejection could not be queued as an alert', { error: errorMessage(err) });
      }
    },
  });
  reloader.start();
  reloader.follow(policySources(first));
  return reloader;
}

/** The policy files of a config and the directories they are in: editing, adding or removing one reloads. */
function policySources(config: SealwatchConfig): string[] {
  const files = (config.policies ?? []).map((p) => p.file);
  return [...new Set([...(config.policyPaths ?? []), ...files, ...files.map((f) => dirname(f))])];
}

/** The policy-bundle updater of the config in force: replaced when `bundle:` changes; an accepted bundle reloads the config (its policies). */
class BundleService {
  private readonly deps: ReturnType<typeof createDeps>;
  private updater: BundleUpdater | undefined;
  private settings = '';

  constructor(deps: ReturnType<typeof createDeps>) {
    this.deps = deps;
  }

  configure(config: SealwatchConfig, accepted: () => void): void {
    const b = config.bundle;
    const settings = b ? JSON.stringify({ url: b.url, keys: b.keyFiles, schedule: b.schedule, dir: b.dir, tz: config.schedules.timezone }) : '';
    if (settings === this.settings) return;
    this.settings = settings;
    void this.updater?.stop();
    this.updater = undefined;
    if (!b) return;
    this.updater = new BundleUpdater(b, this.deps.store, this.deps.logger, accepted, () => this.deps.clock.now());
    this.updater.start(config.schedules.timezone);
  }

  async stop(): Promise<void> {
    await this.updater?.stop();
  }
}
