// The daemon's scan thread: one scan of one app, then it ends. The walk and the commit are blocking calls (a
// no-change rescan of 50,000 files held the event loop for seconds, the commit of a baseline for about one); here
// they block only this thread, so the daemon's own loop — file events, /healthz, signals, alert delivery — never
// waits on a scan. This thread opens its own connection to the history database (WAL: the daemon's connection keeps
// reading and writing the outbox meanwhile) and its own pool of inspection workers, closed when the scan ends.
//
// The thread starts (and loads this code) when an app's first file event arrives, and waits: when the update has
// settled, the scan begins at once instead of after a thread start-up.
import { parentPort, workerData } from 'node:worker_threads';
import { InspectPool } from '../inventory/pool.ts';
import { Store } from '../inventory/store/store.ts';
import { scanApp } from '../pipeline/scan-app.ts';
import { errorMessage, SealwatchError } from '../shared/errors.ts';
import { type ScanSummary, type ScanThreadReply, type ScanThreadRequest, type ScanThreadSetup } from './scan-thread-protocol.ts';

const input = workerData as ScanThreadSetup;

// Opened (integrity-checked, migrated) as the thread starts, while the update settles, not when the scan is due.
let opened: Store | Error;
try {
  opened = Store.open(input.database, { witness: input.witness });
} catch (err) {
  opened = err instanceof Error ? err : new Error(String(err));
}

async function run(request: ScanThreadRequest): Promise<ScanSummary> {
  if (opened instanceof Error) throw opened;
  const store = opened;
  const now = new Date(request.now);
  const pool = new InspectPool({ ...input.pool, now: request.now }, input.workers, undefined, () => new Date());
  try {
    const { app, root, trigger, appVersion, vendor } = request;
    const r = await scanApp(store, pool, { app, root, trigger, now, alerts: input.alerts, ...(input.policies?.length ? { policies: input.policies } : {}), ...(appVersion ? { appVersion } : {}), ...(vendor ? { vendor } : {}) });
    return {
      snapshotId: r.snapshotId,
      baseline: r.baseline,
      fromVersion: r.fromVersion ?? null,
      toVersion: r.toVersion ?? null,
      files: r.files,
      read: r.read,
      reused: r.reused,
      changes: r.changes.length,
      unreadable: r.unreadable.length,
      findings: r.findings.map((f) => ({ rule: f.rule, severity: f.severity, path: f.path, explained: f.explained })),
      alerts: r.alerts.map((a) => ({ deliveryId: a.deliveryId, destination: a.destination })),
    };
  } finally {
    await pool.close();
    store.close();
  }
}

parentPort?.once('message', (request: ScanThreadRequest) => {
  run(request).then(
    (summary) => parentPort?.postMessage({ ok: true, summary } satisfies ScanThreadReply),
    (err: unknown) => parentPort?.postMessage({ ok: false, error: errorMessage(err), ...(err instanceof SealwatchError ? { code: err.code } : {}) } satisfies ScanThreadReply),
  );
});
