// `sealwatch run` end to end: the real daemon as a child process, a temp app directory, a real SQLite file and a
// real webhook receiver on 127.0.0.1. Apps are the 3CX-shaped update built from real signed binaries
// (scripts/lib/three-cx.ts) and a real vendor update from the npm registry (msal-node-runtime 0.20.6 → 0.20.7).
import test from 'ava';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DEFAULT_TRUST_DIR } from '../../daemon/config/trust-dir.ts';
import { realAppPath, realCorpusPath } from '../helpers/real-corpus.ts';
import { threeCxTrust, writeThreeCxApp } from '../../scripts/lib/three-cx.ts';
import { DaemonProcess, health, httpPort, logLines, MAIN, readTree, Receiver, setup, signatureValid, waitForLog, waitIdle, waitReceived, writeInPieces } from './harness.ts';
import { tempDir } from '../helpers/temp.ts';

interface AlertFinding {
  readonly rule: string;
  readonly severity: string;
  readonly path: string | null;
}

async function threeCx(): Promise<{ v1: string; v2: string }> {
  const work = tempDir('sealwatch-3cx-');
  const [v1, v2] = [join(work, 'v1'), join(work, 'v2')];
  await writeThreeCxApp(v1, v2);
  return { v1, v2 };
}

const TRUST = (): string[] => [DEFAULT_TRUST_DIR, ...threeCxTrust()];

function has(findings: readonly AlertFinding[], rule: string, severity: string, path: string): boolean {
  return findings.some((f) => f.rule === rule && f.severity === severity && f.path === path);
}

test.serial('an update copied in over several seconds, in pieces → exactly one alert with the findings and a valid signature; status shows it', async (t) => {
  const receiver = new Receiver();
  await receiver.start();
  // settle 3 s against pieces 200 ms apart: a busy machine pausing the writer for a while still sees one update.
  const s = setup({ receiverUrl: receiver.url, trust: TRUST(), settle: '3s' });
  const { v1, v2 } = await threeCx();
  cpSync(v1, s.appRoot, { recursive: true });
  const d = new DaemonProcess(s);
  try {
    const baseline = await waitForLog(s, d.pid, (l) => l.message === 'scan finished', 'the reconciliation scan (baseline)');
    t.like(baseline, { app: 'contoso', baseline: true, trigger: 'schedule', to_version: '18.12.407', alerts: 0 });
    const port = await httpPort(s, d.pid);
    // The updater: every file of the new version streamed in 4 pieces, 200 ms apart (about 4 s in all).
    for (const f of readTree(v2)) await writeInPieces(join(s.appRoot, f.rel), f.bytes, 4, 200);
    await waitReceived(receiver, 1);
    await waitIdle(port);
    t.is(receiver.received.length, 1, 'one alert for the whole update');
    const alert = receiver.received[0]!;
    t.true(signatureValid(alert.signature, alert.raw), `signature ${alert.signature}`);
    t.is(alert.body.id, alert.deliveryId);
    t.like(alert.body, { app: 'contoso', from_version: '18.12.407', to_version: '18.12.416' });
    const findings = alert.body.findings as AlertFinding[];
    t.true(has(findings, 'UNAUTHENTICATED_DATA', 'critical', 'd3dcompiler_47.dll'), JSON.stringify(findings));
    t.true(has(findings, 'MODULE_CHANGED_SAME_VERSION', 'high', 'contoso.dll'));
    t.true(has(findings, 'NEW_UNSIGNED_MODULE', 'high', 'ffmpeg.dll'));
    t.true(has(findings, 'NEW_CAPABILITIES', 'medium', 'Frameworks/libffmpeg.dylib'));
    t.false(findings.some((f) => f.severity === 'info' || f.severity === 'low'), 'below the destination threshold: left out');
    t.like(alert.body.summary, { critical: 1 });

    // The log names app and snapshot for the scan and the alert, and never the webhook URL or the secret.
    const lines = logLines(s).filter((l) => l.pid === d.pid);
    const update = lines.find((l) => l.message === 'scan finished' && l.to_version === '18.12.416');
    t.like(update, { app: 'contoso', trigger: 'watch', alerts: 1 });
    t.like(lines.find((l) => l.message === 'alert queued'), { app: 'contoso', snapshot_id: alert.body.snapshot, delivery_id: alert.deliveryId });
    t.like(lines.find((l) => l.message === 'alert delivered'), { delivery_id: alert.deliveryId });
    const raw = readFileSync(s.logFile, 'utf8');
    t.false(raw.includes(receiver.url), 'webhook URL never logged');
    t.false(raw.includes('e2e-hmac-secret'), 'secret never logged');

    // /metrics: scans, duration, findings by severity, outbox depth.
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    t.regex(metrics, /sealwatch_scans_total\{app="contoso",trigger="watch",result="ok"\} [1-9]/);
    t.regex(metrics, /sealwatch_scan_duration_seconds_count\{app="contoso"\} [2-9]/);
    t.regex(metrics, /sealwatch_findings_total\{severity="critical"\} 1/);
    t.regex(metrics, /sealwatch_outbox_depth\{state="pending"\} 0/);
    t.like(await health(port), { status: 'ok', watch: { watching: 1 } });
  } finally {
    const exit = await d.stop();
    t.is(exit.code, 0, d.stderr);
    await receiver.close();
  }
  t.truthy(logLines(s).find((l) => l.pid === d.pid && l.message === 'sealwatch stopped'), 'graceful shutdown logged');

  // `sealwatch status` reads the database: the app, its version, its pending findings, the outbox.
  const st = spawnSync(process.execPath, [MAIN, 'status', '--json', '--config', s.configFile], { env: s.env, encoding: 'utf8' });
  t.is(st.status, 0, st.stderr);
  const status = JSON.parse(st.stdout) as { apps: Array<Record<string, unknown>>; outbox: Record<string, number>; last_delivery_error: unknown };
  t.like(status.apps[0], { name: 'contoso', version: '18.12.416', trigger: 'watch', configured: true });
  t.true((status.apps[0]?.pending_findings as { critical: number }).critical >= 1);
  t.deepEqual(status.outbox, { pending: 0, sent: 1, dead: 0 });
  t.is(status.last_delivery_error, null);
  t.false(st.stdout.includes('127.0.0.1:'), 'no webhook URL in status');
  const text = spawnSync(process.execPath, [MAIN, 'status', '--config', s.configFile], { env: s.env, encoding: 'utf8' });
  t.regex(text.stdout, /contoso .*18\.12\.416/);
  t.regex(text.stdout, /outbox: 0 pending, 0 dead, 1 sent/);
  // --db alone reads no config: a broken one in the environment does not hide the database.
  const byDb = spawnSync(process.execPath, [MAIN, 'status', '--json', '--db', s.db], { env: { ...s.env, SEALWATCH_CONFIG: join(s.dir, 'missing.yaml') }, encoding: 'utf8' });
  t.is(byDb.status, 0, byDb.stderr);
  t.like(JSON.parse(byDb.stdout), { database: s.db, outbox: { sent: 1 } });
});

test.serial('a legitimate vendor update (real msal-node-runtime 0.20.6 → 0.20.7) → scanned, no alert even at min_severity low', async (t) => {
  const receiver = new Receiver();
  await receiver.start();
  const s = setup({ receiverUrl: receiver.url, minSeverity: 'low' });
  cpSync(realAppPath('msal-0.20.6'), s.appRoot, { recursive: true });
  const d = new DaemonProcess(s);
  try {
    await waitForLog(s, d.pid, (l) => l.message === 'scan finished' && l.baseline === true, 'the baseline');
    const port = await httpPort(s, d.pid);
    // The update as an updater lays it down: the old files go, the new ones are copied in.
    const next = realAppPath('msal-0.20.7');
    for (const f of readTree(s.appRoot)) rmSync(join(s.appRoot, f.rel));
    cpSync(next, s.appRoot, { recursive: true });
    const update = await waitForLog(s, d.pid, (l) => l.message === 'scan finished' && l.to_version === '0.20.7', 'the update scan');
    await waitIdle(port);
    t.like(update, { from_version: '0.20.6', alerts: 0, findings: { low: 0, medium: 0, high: 0, critical: 0 } });
    t.true((update.changes as number) > 0, 'the update changed files');
    t.is(receiver.received.length, 0);
  } finally {
    t.is((await d.stop()).code, 0, d.stderr);
    await receiver.close();
  }
});

test.serial('an update while the daemon is stopped → found by the reconciliation scan at start, one alert', async (t) => {
  const receiver = new Receiver();
  await receiver.start();
  const s = setup({ receiverUrl: receiver.url, trust: TRUST() });
  const { v1, v2 } = await threeCx();
  cpSync(v1, s.appRoot, { recursive: true });
  const first = new DaemonProcess(s);
  await waitForLog(s, first.pid, (l) => l.message === 'scan finished' && l.baseline === true, 'the baseline');
  t.is((await first.stop()).code, 0, first.stderr);
  // Updated while nothing watched.
  cpSync(v2, s.appRoot, { recursive: true });
  // The receiver fails the first attempt: the alert is retried with the same id; the failure shows in status and metrics.
  let answered = 0;
  receiver.respond = () => (answered++ === 0 ? 500 : 200);
  const second = new DaemonProcess(s);
  try {
    const found = await waitForLog(s, second.pid, (l) => l.message === 'scan finished', 'the reconciliation scan');
    t.like(found, { trigger: 'schedule', baseline: false, from_version: '18.12.407', to_version: '18.12.416', alerts: 1 });
    await waitReceived(receiver, 2);
    const port = await httpPort(s, second.pid);
    await waitIdle(port);
    t.is(receiver.received.length, 2, 'one failed attempt, one delivery');
    t.is(receiver.received[0]!.deliveryId, receiver.received[1]!.deliveryId, 'the same delivery id on the retry');
    t.is(receiver.received[0]!.raw, receiver.received[1]!.raw, 'the same body');
    t.true(has(receiver.received[0]!.body.findings as AlertFinding[], 'UNAUTHENTICATED_DATA', 'critical', 'd3dcompiler_47.dll'));
    t.regex(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text(), /sealwatch_delivery_failures 1/);
    const st = spawnSync(process.execPath, [MAIN, 'status', '--json', '--config', s.configFile], { env: s.env, encoding: 'utf8' });
    const status = JSON.parse(st.stdout) as { outbox: Record<string, number>; last_delivery_error: Record<string, unknown> | null };
    t.deepEqual(status.outbox, { pending: 0, sent: 1, dead: 0 });
    t.like(status.last_delivery_error, { destination: 'e2e', delivery_id: receiver.received[0]!.deliveryId, state: 'sent', status: null });
    t.regex(String(status.last_delivery_error?.error), /500/);
    t.false(st.stdout.includes(receiver.url), 'no webhook URL in status');
  } finally {
    t.is((await second.stop()).code, 0, second.stderr);
    await receiver.close();
  }
});

test.serial('the watched root deleted and recreated → watching resumes (a later write is seen and alerted)', async (t) => {
  const receiver = new Receiver();
  await receiver.start();
  const s = setup({ receiverUrl: receiver.url, trust: TRUST() });
  const { v1 } = await threeCx();
  cpSync(v1, s.appRoot, { recursive: true });
  const d = new DaemonProcess(s);
  try {
    await waitForLog(s, d.pid, (l) => l.message === 'scan finished' && l.baseline === true, 'the baseline');
    const port = await httpPort(s, d.pid);
    rmSync(s.appRoot, { recursive: true });
    await waitForLog(s, d.pid, (l) => l.message === 'app root is missing: waiting for it to reappear', 'the missing root');
    t.like(await health(port), { watch: { missing: 1, watching: 0 } });
    // Recreated (a reinstall): same content, new directory.
    mkdirSync(s.appRoot);
    cpSync(v1, s.appRoot, { recursive: true });
    await waitForLog(s, d.pid, (l) => l.message === 'app root is back or was replaced: watching it again', 'the root coming back');
    await waitForLog(s, d.pid, (l) => l.message === 'scan finished' && l.baseline === false, 'the rescan of the recreated root');
    await waitIdle(port);
    t.is(receiver.received.length, 0, 'the same content again is no update');
    // Watching works again: a new unsigned DLL written now is seen by the watcher, scanned and alerted.
    const before = logLines(s).length;
    writeFileSync(join(s.appRoot, 'ffmpeg.dll'), readFileSync(realCorpusPath('pty-node')));
    await waitReceived(receiver, 1);
    await waitIdle(port);
    const after = logLines(s).slice(before);
    t.true(after.some((l) => l.message === 'file event' && String(l.path).endsWith('ffmpeg.dll')), 'the watcher saw the write');
    t.like(after.find((l) => l.message === 'scan finished'), { trigger: 'watch', alerts: 1 });
    t.true(has(receiver.received[0]!.body.findings as AlertFinding[], 'NEW_UNSIGNED_MODULE', 'high', 'ffmpeg.dll'));
    t.is(receiver.received.length, 1);
  } finally {
    t.is((await d.stop()).code, 0, d.stderr);
    await receiver.close();
  }
});

test('a bad config → exit 2, naming the file, the line and the field; nothing started', async (t) => {
  const s = setup({ extra: 'watch_typo: true' });
  writeFileSync(s.configFile, readFileSync(s.configFile, 'utf8').replace(/  - name: contoso\n    path: .*\n/, '  - name: contoso\n    path: 42\n'));
  const r = spawnSync(process.execPath, [MAIN, 'run', '--config', s.configFile], { env: s.env, encoding: 'utf8' });
  t.is(r.status, 2, r.stderr);
  t.regex(r.stderr, new RegExp(`config ${s.configFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: line 4: apps\\[0\\]\\.path: must be string`));
  t.regex(r.stderr, /watch_typo: unknown field/);
  t.is(logLines(s).length, 0, 'no daemon started');
  const missing = spawnSync(process.execPath, [MAIN, 'run'], { env: { ...s.env, SEALWATCH_CONFIG: join(s.dir, 'nope.yaml') }, encoding: 'utf8' });
  t.is(missing.status, 2);
  t.regex(missing.stderr, /nope\.yaml: cannot be read/);
});

test('a history database that cannot be opened → exit 4 naming it, for run and status alike', (t) => {
  const s = setup();
  // its directory is a regular file
  writeFileSync(join(s.dir, 'not-a-dir'), 'x');
  writeFileSync(s.configFile, `database: ${join(s.dir, 'not-a-dir', 's.db')}\napps:\n  - name: a\n    path: ${s.appRoot}\nlog:\n  dir: ${join(s.dir, 'log')}\n  console: false\n`);
  const r = spawnSync(process.execPath, [MAIN, 'run', '--config', s.configFile], { env: s.env, encoding: 'utf8' });
  t.is(r.status, 4, r.stderr);
  t.true(r.stderr.includes(join(s.dir, 'not-a-dir', 's.db')), r.stderr);
  const st = spawnSync(process.execPath, [MAIN, 'status', '--config', s.configFile], { env: s.env, encoding: 'utf8' });
  t.is(st.status, 4, st.stderr);
  t.true(st.stderr.includes(join(s.dir, 'not-a-dir', 's.db')), st.stderr);
});

test.serial('SIGTERM during a scan → exit 0; the scan is finished or abandoned whole, and the next start picks up cleanly', async (t) => {
  const s = setup();
  cpSync(realAppPath('msal-0.20.6'), s.appRoot, { recursive: true });
  const d = new DaemonProcess(s);
  await waitForLog(s, d.pid, (l) => l.message === 'scan started', 'the baseline starting');
  const exit = await d.stop();
  t.is(exit.code, 0, d.stderr);
  const mine = logLines(s).filter((l) => l.pid === d.pid);
  t.truthy(mine.find((l) => l.message === 'sealwatch stopped'));
  const finished = mine.some((l) => l.message === 'scan finished');
  const abandoned = mine.some((l) => l.message === 'abandoning the scan under way (nothing of it is committed)');
  t.true(finished !== abandoned || (!finished && !abandoned), 'either finished or abandoned, never both');
  t.log(finished ? 'the scan finished within the grace period' : 'the scan was stopped before its commit');
  // The next start: one baseline, whatever happened to the first.
  const again = new DaemonProcess(s);
  try {
    const scan = await waitForLog(s, again.pid, (l) => l.message === 'scan finished', 'the next start’s scan');
    t.is(scan.baseline, !finished, finished ? 'the committed baseline is kept' : 'nothing of the stopped scan was committed');
    t.is(scan.snapshot_id, finished ? 2 : 1);
  } finally {
    t.is((await again.stop()).code, 0, again.stderr);
  }
});

test.serial('schedules: the node-cron rescan scans every app, the maintenance schedule checkpoints the database', async (t) => {
  const s = setup({ extra: 'schedules:\n  rescan: "*/2 * * * * *"\n  maintenance: "*/3 * * * * *"' });
  writeFileSync(join(s.appRoot, 'package.json'), JSON.stringify({ name: 'contoso', version: '1.0.0' }));
  const d = new DaemonProcess(s);
  try {
    await waitForLog(s, d.pid, (l) => l.message === 'scheduled rescan of every app', 'a scheduled rescan');
    const scheduled = await waitForLog(s, d.pid, (l) => l.message === 'scan finished' && l.baseline === false, 'the scheduled scan');
    t.like(scheduled, { app: 'contoso', trigger: 'schedule', changes: 0, alerts: 0 });
    const maintenance = await waitForLog(s, d.pid, (l) => l.message === 'database maintenance done', 'maintenance');
    t.like(maintenance, { database: s.db, busy: false });
    t.is(typeof maintenance.wal_frames, 'number');
  } finally {
    t.is((await d.stop()).code, 0, d.stderr);
  }
});

test('the http port already taken → exit 2 naming it; the daemon closes what it opened', async (t) => {
  const taken = createServer();
  await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
  const port = (taken.address() as AddressInfo).port;
  try {
    const s = setup();
    writeFileSync(s.configFile, readFileSync(s.configFile, 'utf8').replace('  port: 0', `  port: ${port}`));
    const r = spawnSync(process.execPath, [MAIN, 'run', '--config', s.configFile], { env: s.env, encoding: 'utf8' });
    t.is(r.status, 2, r.stderr);
    t.regex(r.stderr, new RegExp(`http: cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`));
    t.truthy(logLines(s).find((l) => l.message === 'sealwatch could not start'));
  } finally {
    taken.close();
  }
});
