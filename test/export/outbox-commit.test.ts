// The export outbox rows of a scan are written in the transaction that stores its snapshot, findings and alerts: a
// commit forced to fail at the export insert (a trigger, from another connection, like a full disk at that moment)
// leaves no snapshot, no finding, no alert and no export row; the next scan stores them all, and its export is the
// whole change since the last committed snapshot.
import { readFileSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import test from 'ava';
import { type AlertDestination } from '../../daemon/alert/destination.ts';
import { scanApp } from '../../daemon/pipeline/scan-app.ts';
import { put, writeElectronApp } from '../helpers/electron-app.ts';
import { TEST_NOW } from '../helpers/inspect.ts';
import { realCorpusPath } from '../helpers/real-corpus.ts';
import { appDir, harness } from '../helpers/scan.ts';

const DESTINATIONS: AlertDestination[] = [{ name: 'soc', type: 'generic', url: 'http://127.0.0.1:9/hook', minSeverity: 'low' }];

function exec(file: string, sql: string): void {
  const db = new DatabaseSync(file);
  try {
    db.exec(sql);
  } finally {
    db.close();
  }
}

function count(file: string, sql: string): number {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    return (db.prepare(sql).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

test('a commit that fails at the export insert leaves nothing; the next scan queues every sink with the snapshot', async (t) => {
  const h = harness();
  t.teardown(() => h.close());
  const root = appDir();
  writeElectronApp(root);
  const scan = (minutes: number) => scanApp(h.store, h.pool, { app: 'contoso', root, trigger: 'watch', now: new Date(TEST_NOW.getTime() + minutes * 60_000), alerts: DESTINATIONS, exports: ['ch', 'file'] });
  const base = await scan(0);
  t.deepEqual(h.store.exportOutbox.rows().map((r) => [r.sink, r.snapshot_id, r.baseline]), [['ch', base.snapshotId, 1], ['file', base.snapshotId, 1]]);
  // An update that alerts (a signed DLL appears beside the executable).
  put(root, 'ffmpeg.dll', readFileSync(realCorpusPath('conpty')));
  exec(h.dbPath, "CREATE TRIGGER no_export BEFORE INSERT ON export_outbox WHEN NEW.sink = 'file' BEGIN SELECT RAISE(ABORT, 'disk full (test)'); END");
  await t.throwsAsync(scan(5), { message: /disk full \(test\)/ });
  t.is(count(h.dbPath, 'SELECT count(*) AS n FROM snapshots'), 1);
  t.is(count(h.dbPath, 'SELECT count(*) AS n FROM findings WHERE snapshot_id > 1'), 0);
  t.is(count(h.dbPath, 'SELECT count(*) AS n FROM outbox'), 0);
  t.is(count(h.dbPath, 'SELECT count(*) AS n FROM export_outbox'), 2);
  exec(h.dbPath, 'DROP TRIGGER no_export');
  const update = await scan(10);
  t.true(update.alerts.length === 1 && update.findings.length > 0);
  t.deepEqual(h.store.exportOutbox.rows().map((r) => [r.sink, r.snapshot_id, r.baseline]), [['ch', 1, 1], ['file', 1, 1], ['ch', update.snapshotId, 0], ['file', update.snapshotId, 0]]);
  // What that export will carry: the new module, the findings, the alert.
  const x = h.store.exportOutbox;
  t.deepEqual(x.opened(update.snapshotId, 0, 100).map((r) => [r.path, r.existed]), [['ffmpeg.dll', 0]]);
  t.is(x.findings(update.snapshotId, 0, 100).length, update.findings.length);
  t.is(x.alerts(update.snapshotId, 0, 100).length, 1);
});
