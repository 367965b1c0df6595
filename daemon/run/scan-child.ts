// The daemon's scan process: one scan of one app, then it exits. It runs apart from the daemon (child_process.fork,
// scan-runner.ts) for two reasons. Memory: a scan of 50,000 files touches tens of MB (walk, records, SQLite pages, the
// inspection workers' heaps) that a thread would leave in the daemon's allocator for good; a process gives it all
// back to the OS when it exits, so the idle daemon stays at its own size. Isolation: a crash here (a parser bug, an
// out-of-memory) ends this process, not the daemon — a scan commits in one transaction, so one that dies leaves
// nothing behind, and the runner retries it once. The walk and the commit block only this process's loop.
//
// It starts when an app's first file event arrives (the daemon sends the setup at once) and opens the database
// while the update settles; the scan request follows when the update is due.
import { InspectPool } from '../inventory/pool.ts';
import { ManifestStage } from '../manifest/stage.ts';
import { Store } from '../inventory/store/store.ts';
import { scanApp } from '../pipeline/scan-app.ts';
import { errorMessage, SealwatchError } from '../shared/errors.ts';
import { type ScanChildMessage, type ScanSummary, type ScanThreadReply, type ScanThreadRequest, type ScanThreadSetup } from './scan-thread-protocol.ts';

// Ctrl-C reaches the whole process group: the daemon decides whether this scan finishes or is abandoned (SIGTERM).
process.on('SIGINT', () => undefined);
// The daemon is gone (killed, crashed): nobody will read this scan's answer, and its lock row names this pid.
process.on('disconnect', () => process.exit(70));

let setup: ScanThreadSetup | undefined;
let opened: Store | Error | undefined;

function open(s: ScanThreadSetup): void {
  setup = s;
  try {
    // Opened (integrity-checked, migrated) now, while the update settles, not when the scan is due.
    opened = Store.open(s.database, { witness: s.witness });
  } catch (err) {
    opened = err instanceof Error ? err : new Error(String(err));
  }
}

async function run(request: ScanThreadRequest): Promise<ScanSummary> {
  if (!setup || !opened) throw new SealwatchError('INTERNAL', 'scan process: the scan request came before its setup');
  if (opened instanceof Error) throw opened;
  const store = opened;
  const input = setup;
  const now = new Date(request.now);
  const pool = new InspectPool({ ...input.pool, now: request.now }, input.workers, undefined, () => new Date());
  try {
    const { app, root, trigger, appVersion, vendor } = request;
    // Always built (and loaded with this process, while the update settles): with no manifest configured it still
    // checks an MSIX block map and explains by a bundle's seal.
    const manifests = ManifestStage.forApp({ ...(request.manifest ? { manifest: request.manifest } : {}), ...(request.manifestKeys ? { manifestKeys: request.manifestKeys } : {}) }, input.manifestCache ? { cacheDir: input.manifestCache } : {});
    const r = await scanApp(store, pool, { app, root, trigger, now, alerts: input.alerts, manifests, ...(request.deep ? { deep: true } : {}), ...(input.policies?.length ? { policies: input.policies } : {}), ...(input.exports?.length ? { exports: input.exports } : {}), ...(appVersion ? { appVersion } : {}), ...(vendor ? { vendor } : {}) });
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
      manifests: (r.manifests ?? []).map((m) => ({ name: m.name, state: m.state, ...(m.detail ? { detail: m.detail } : {}), ...(m.stale ? { stale: m.stale } : {}) })),
    };
  } finally {
    await pool.close();
    store.close();
  }
}

/** Answers, then exits once the answer is on its way (the daemon needs nothing else of this process). */
function reply(message: ScanThreadReply): void {
  process.send?.(message, undefined, {}, () => process.exit(0));
}

process.on('message', (message: ScanChildMessage) => {
  if (message.kind === 'setup') return open(message.setup);
  run(message.request).then(
    (summary) => reply({ ok: true, summary }),
    (err: unknown) => reply({ ok: false, error: errorMessage(err), ...(err instanceof SealwatchError ? { code: err.code } : {}) }),
  );
});
