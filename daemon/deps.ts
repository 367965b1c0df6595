// The daemon's one composition root: the clock, the logger, the history store, the worker pool, the alert deliverer,
// the metrics and the watcher factory are made here, from the config, and handed to whatever needs them — no module
// holds a singleton. Tests and benchmarks build the same graph from their own config.
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { requireAdminOnly } from './shared/permissions.ts';
import { OutboxDeliverer } from './alert/deliverer.ts';
import { ExportDeliverer } from './export/deliverer.ts';
import { localHost } from './export/host.ts';
import { defaultDatabase, defaultWitness } from './cli/scan.ts';
import { verificationSettings, checkVerificationDirs } from './cli/verification-options.ts';
import { type SealwatchConfig } from './config/config.ts';
import { DEFAULT_MAX_FILE_BYTES } from './inventory/read.ts';
import { Store } from './inventory/store/store.ts';
import { createDaemonLogger, type DaemonLogger } from './log/logger.ts';
import { logSecrets } from './log/secrets.ts';
import { startScanProcess, type ScanProcess } from './run/scan-runner.ts';
import { type Logger } from './shared/logger.ts';
import { RootWatcher, type RootWatcherOptions } from './watch/root-watcher.ts';

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** What the deliverer needs of its logger, and the hook that counts failed attempts for /metrics. */
export interface Deliverer {
  start(): void;
  stop(): Promise<void>;
  deliverDue(): Promise<number>;
}

export interface DaemonDeps {
  /** The config in force (replaced by a hot reload: reconfigure). */
  readonly config: SealwatchConfig;
  /** Hot reload (issue 12): later scans and deliveries use `next` (its alert destinations, policies). */
  readonly reconfigure: (next: SealwatchConfig) => void;
  readonly clock: Clock;
  readonly logger: DaemonLogger;
  readonly store: Store;
  /**
   * Starts a process for one scan, with its own database connection and a pool of at most one inspection worker per
   * core, all gone when the scan ends: the daemon's event loop never waits on a scan, and the memory a scan touched
   * goes back to the OS with the process.
   */
  readonly scanProcess: () => ScanProcess;
  /** Where fetched manifests keep their last good copy (beside the database), for scans and the refresh schedule. */
  readonly manifestCache: string;
  /** The pool size scans get. */
  readonly workers: number;
  readonly deliverer: Deliverer;
  /** Drains the export outbox (config `export:`; daemon/export). Optional for graphs built without it (tests). */
  readonly exporter?: Deliverer;
  /** Failed delivery attempts since start (counted from the deliverer's log lines). */
  readonly deliveryFailures: () => number;
  readonly watchRoot: (options: RootWatcherOptions) => RootWatcher;
}

/** Builds the graph. A failure after the logger exists closes what was opened. */
export function createDeps(config: SealwatchConfig, clock: Clock = systemClock): DaemonDeps {
  const live = { config };
  checkVerificationDirs({ trust: config.verification.trust, catalog: config.verification.catalogs });
  // Root writes there: in a directory a user can write, a link they put in place of the file makes root write elsewhere.
  requireAdminOnly(config.log.dir, 'log directory');
  for (const e of config.exports) if (e.path !== undefined) requireAdminOnly(dirname(e.path), `directory of export ${e.name}`);
  const logger = createDaemonLogger({ ...config.log, secrets: logSecrets(config) });
  let store: Store | undefined;
  try {
    const databaseFile = config.database ?? defaultDatabase();
    // The history is the baseline every change is judged against, and its directory holds the manifest cache: whoever
    // can replace either can make a trojan the known state.
    requireAdminOnly(dirname(resolve(databaseFile)), 'history database directory');
    store = Store.open(databaseFile, { witness: defaultWitness() });
    const settings = verificationSettings({ trust: config.verification.trust, catalog: config.verification.catalogs, systemTrust: config.verification.systemTrust, iocDigests: config.verification.iocDigests });
    // At most one worker per core, whatever the config says.
    const workers = Math.min(config.workers, availableParallelism());
    const database = store.file;
    const witness = defaultWitness();
    const manifestCache = join(dirname(database), 'manifest-cache');
    const scanProcess = (): ScanProcess => startScanProcess({ database, witness, pool: { ...settings, maxFileBytes: DEFAULT_MAX_FILE_BYTES }, workers, alerts: live.config.alerts, manifestCache, ...(live.config.policies ? { policies: live.config.policies } : {}), ...(live.config.exports.length ? { exports: live.config.exports.map((e) => e.name) } : {}) });
    let failures = 0;
    const counting: Logger = {
      error: (m, meta) => (countFailure(meta) && failures++, logger.error(m, meta)),
      warn: (m, meta) => (countFailure(meta) && failures++, logger.warn(m, meta)),
      info: (m, meta) => logger.info(m, meta),
      debug: (m, meta) => logger.debug(m, meta),
    };
    const deliverer = new OutboxDeliverer(store, config.alerts, { logger: counting, now: () => clock.now(), timeoutMs: config.delivery.timeoutMs, maxAttempts: config.delivery.maxAttempts, maxAgeMs: config.delivery.maxAgeMs });
    // export (issue 12, FLEET): its own outbox and deliverer, beside the alerts'
    // (made without sinks too, so that a reloaded config can add the first one)
    const exporter = new ExportDeliverer(store, config.exports, { logger, host: localHost(store.meta('database_id') ?? ''), now: () => clock.now(), timeoutMs: config.delivery.timeoutMs, maxAttempts: config.delivery.maxAttempts, maxAgeMs: config.delivery.maxAgeMs });
    const reconfigure = (next: SealwatchConfig): void => {
      // A reload can bring new webhook URLs and secrets: the log hides them from now on (and the old ones still).
      logger.addSecrets(logSecrets(next));
      live.config = next;
      deliverer.setDestinations(next.alerts);
      exporter.setSinks(next.exports);
    };
    return { get config() { return live.config; }, reconfigure, clock, logger, store, scanProcess, manifestCache, workers, deliverer, exporter, deliveryFailures: () => failures, watchRoot: (o) => new RootWatcher(o) };
  } catch (err) {
    store?.close();
    void logger.close();
    throw err;
  }
}

/** A warning or error about one delivery attempt (the deliverer names the delivery id in every such line). */
const countFailure = (meta: object | undefined): boolean => meta !== undefined && 'delivery_id' in meta;

/** Closes what createDeps opened, in reverse order. */
export async function closeDeps(deps: DaemonDeps): Promise<void> {
  await deps.deliverer.stop();
  await deps.exporter?.stop();
  deps.store.close();
  await deps.logger.close();
}
