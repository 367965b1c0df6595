// The outbox rows of a scan are written in the transaction that stores its snapshot and findings: a real scan of a
// real app directory queues one alert per destination whose threshold it reaches, and a commit forced to fail after
// the findings (or after the alerts) leaves neither behind.
import test from 'ava';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { type AlertDestination } from '../../daemon/alert/destination.ts';
import { scanApp, type ScanReport } from '../../daemon/pipeline/scan-app.ts';
import { appDir, harness, type ScanHarness } from '../helpers/scan.ts';
import { TEST_NOW } from '../helpers/inspect.ts';

const DESTINATIONS: AlertDestination[] = [
  { name: 'soc', type: 'generic', url: 'http://127.0.0.1:9/hook', secret: 's', minSeverity: 'medium' },
  { name: 'chat', type: 'slack', url: 'http://127.0.0.1:9/services/x', minSeverity: 'high' },
  { name: 'pager', type: 'discord', url: 'http://127.0.0.1:9/api/webhooks/x', minSeverity: 'critical' },
];

let minute = 0;
const scan = (h: ScanHarness, root: string): Promise<ScanReport> =>
  scanApp(h.store, h.pool, { app: 'Contoso', root, trigger: 'watch', now: new Date(TEST_NOW.getTime() + 60_000 * minute++), alerts: DESTINATIONS });

/** A baseline (a text file), then an update that adds an unsigned ELF helper (high) and a signed PE (medium). */
async function baselineThenUpdate(h: ScanHarness): Promise<string> {
  const dir = appDir();
  writeFileSync(join(dir, 'readme.txt'), 'hello');
  const base = await scan(h, dir);
  assertBaseline(base);
  mkdirSync(join(dir, 'bin'));
  copyFileSync(join(import.meta.dirname, '..', 'corpus', 'pe', 'signify-whois.exe'), join(dir, 'bin', 'whois.exe'));
  copyFileSync('/bin/true', join(dir, 'bin', 'helper'));
  return dir;
}

function assertBaseline(base: ScanReport): void {
  if (!base.baseline || base.alerts.length !== 0) throw new Error('a baseline queues no alert');
}

function count(h: ScanHarness, sql: string): number {
  const db = new DatabaseSync(h.dbPath, { readOnly: true });
  try {
    return (db.prepare(sql).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

function sql(h: ScanHarness, statement: string): void {
  const db = new DatabaseSync(h.dbPath);
  try {
    db.exec(statement);
  } finally {
    db.close();
  }
}

test('a real update queues one alert per destination whose min_severity it reaches, with the snapshot it belongs to', async (t) => {
  const h = harness();
  try {
    const dir = await baselineThenUpdate(h);
    const report = await scan(h, dir);
    // The scenario: two new modules, at least one high and none critical (the rules decide which exactly).
    const paths = report.findings.filter((f) => !f.explained).map((f) => f.path).sort();
    t.deepEqual(paths, ['bin/helper', 'bin/whois.exe']);
    t.true(report.findings.some((f) => f.severity === 'high') && !report.findings.some((f) => f.severity === 'critical'), JSON.stringify(report.findings));
    t.deepEqual(report.alerts.map((a) => a.destination), ['soc', 'chat'], 'no critical finding: the pager is not called');
    const rows = h.store.alerts();
    t.deepEqual(rows.map((r) => [r.destination, r.type, r.state, r.snapshot_id, r.delivery_id]), report.alerts.map((a) => [a.destination, a.destination === 'soc' ? 'generic' : 'slack', 'pending', report.snapshotId, a.deliveryId]));
    t.regex(rows[0]?.summary ?? '', /^sealwatch: Contoso \? → \? on .+: 2 findings \((1 high, 1 medium|2 high)\)$/);
    const due = h.store.dueAlerts(new Date(TEST_NOW.getTime() + 3_600_000), 10);
    const generic = JSON.parse(due.find((r) => r.destination === 'soc')?.body ?? '{}') as { id: string; snapshot: number; summary: Record<string, number>; findings: Array<{ severity: string; path: string }> };
    t.is(generic.id, report.alerts[0]?.deliveryId ?? 'missing');
    t.is(generic.snapshot, report.snapshotId);
    const high = report.findings.filter((f) => f.severity === 'high').length;
    t.like(generic.summary, { critical: 0, high, medium: 2 - high, low: 0, info: 0 });
    const ranks = generic.findings.map((f) => ['info', 'low', 'medium', 'high', 'critical'].indexOf(f.severity));
    t.deepEqual(ranks, [...ranks].sort((a, b) => b - a), 'most severe first');
    t.is(generic.findings.length, 2);
    const slack = JSON.stringify(JSON.parse(due.find((r) => r.destination === 'chat')?.body ?? '{}'));
    for (const f of report.findings.filter((x) => !x.explained)) t.is(slack.includes(f.path ?? '-'), f.severity === 'high', `${f.path} (${f.severity}) in the chat alert only when at its threshold`);

    const again = await scan(h, dir);
    t.deepEqual(again.alerts, [], 'a rescan with nothing new queues nothing');
  } finally {
    await h.close();
  }
});

for (const [where, trigger] of [
  ['the outbox insert (after the findings)', 'CREATE TRIGGER fail_alerts BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, \'forced failure\'); END;'],
  ['the findings insert', 'CREATE TRIGGER fail_findings BEFORE INSERT ON findings BEGIN SELECT RAISE(ABORT, \'forced failure\'); END;'],
] as const) {
  test(`a commit forced to fail at ${where} leaves neither the findings nor the alert; the next scan stores both`, async (t) => {
    const h = harness();
    try {
      const dir = await baselineThenUpdate(h);
      const before = { snapshots: count(h, 'SELECT count(*) AS n FROM snapshots'), findings: count(h, 'SELECT count(*) AS n FROM findings') };
      sql(h, trigger);
      const err = await t.throwsAsync(scan(h, dir));
      t.regex(err?.message ?? '', /forced failure/);
      t.is(count(h, 'SELECT count(*) AS n FROM snapshots'), before.snapshots);
      t.is(count(h, 'SELECT count(*) AS n FROM findings'), before.findings);
      t.is(count(h, 'SELECT count(*) AS n FROM outbox'), 0);

      sql(h, 'DROP TRIGGER IF EXISTS fail_alerts; DROP TRIGGER IF EXISTS fail_findings;');
      const report = await scan(h, dir);
      t.is(report.alerts.length, 2);
      t.is(count(h, `SELECT count(*) AS n FROM findings WHERE snapshot_id = ${report.snapshotId}`), 2);
      t.is(count(h, `SELECT count(*) AS n FROM outbox WHERE snapshot_id = ${report.snapshotId}`), 2);
    } finally {
      await h.close();
    }
  });
}
