// Each daemon scan runs in a short-lived process of its own (daemon/run/scan-runner.ts, scan-child.ts): the memory it
// touched goes back to the OS when it exits, and its crash is not the daemon's. The real daemon as a child process,
// a real SQLite file. A scan is held at a known point by the test taking the app's scan lock in the same database
// (a live holder, as a manual `sealwatch scan` would be): the scan process has received its request and waits at the
// lock, before writing anything — so a kill lands mid-scan, deterministically.
import test from 'ava';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';
import { Store } from '../../daemon/inventory/store/store.ts';
import { DaemonProcess, httpPort, logLines, setup, waitForLog, waitIdle, type DaemonSetup } from './harness.ts';

/** Child processes of `pid` (every thread's children list; Linux /proc). */
function childrenOf(pid: number): number[] {
  const tasks = `/proc/${pid}/task`;
  if (!existsSync(tasks)) return [];
  return readdirSync(tasks).flatMap((tid) => {
    try {
      return readFileSync(join(tasks, tid, 'children'), 'utf8').split(' ').filter(Boolean).map(Number);
    } catch {
      return [];
    }
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** Waits until `pid` is gone (limit only stops a stuck test). */
async function waitGone(pid: number, limitMs = 60_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (alive(pid) && !isZombie(pid)) {
    if (Date.now() > end) throw new Error(`process ${pid} still running after ${limitMs} ms`);
    await sleep(100);
  }
}

function isZombie(pid: number): boolean {
  try {
    return /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

/** The app's scan lock, held by this test process (alive, same host: never stale) until released. */
function holdScanLock(s: DaemonSetup): () => void {
  const store = Store.open(s.db);
  const owner = 'test-holds-the-lock';
  if (store.tryLock('contoso', owner, new Date(), 60 * 60_000)) throw new Error('the scan lock is already held');
  return () => {
    store.releaseLock('contoso', owner);
    store.close();
  };
}

function snapshotCount(db: string): number {
  const d = new DatabaseSync(db, { readOnly: true });
  try {
    return Number((d.prepare('SELECT count(*) AS n FROM snapshots').get() as { n: number }).n);
  } finally {
    d.close();
  }
}

async function baselined(s: DaemonSetup): Promise<{ d: DaemonProcess; port: number }> {
  writeFileSync(join(s.appRoot, 'package.json'), JSON.stringify({ name: 'contoso', version: '1.0.0' }));
  const d = new DaemonProcess(s);
  await waitForLog(s, d.pid, (l) => l.message === 'scan finished' && l.baseline === true, 'the baseline');
  return { d, port: await httpPort(s, d.pid) };
}

test('a scan runs in a process of its own that exits with it: after the scan the daemon has no child left', async (t) => {
  const s = setup();
  const { d, port } = await baselined(s);
  try {
    writeFileSync(join(s.appRoot, 'update.js'), 'module.exports = 2;\n');
    const started = await waitForLog(s, d.pid, (l) => l.message === 'scan started' && l.trigger === 'watch', 'the watch scan');
    const scanPid = Number(started.scan_pid);
    t.true(scanPid > 0 && scanPid !== d.pid, `scan_pid ${String(started.scan_pid)}`);
    const finished = await waitForLog(s, d.pid, (l) => l.message === 'scan finished' && l.trigger === 'watch', 'the watch scan to finish');
    t.like(finished, { baseline: false, deep: false });
    await waitIdle(port);
    await waitGone(scanPid);
    t.deepEqual(childrenOf(d.pid), [], 'no scan process outlives its scan');
  } finally {
    t.is((await d.stop()).code, 0, d.stderr);
  }
});

test('a scan process killed mid-scan: the daemon reports it, retries once in a new process, and the update is stored once', async (t) => {
  const s = setup();
  const { d, port } = await baselined(s);
  const release = holdScanLock(s);
  let released = false;
  try {
    writeFileSync(join(s.appRoot, 'plugin.js'), 'module.exports = "new";\n');
    const first = await waitForLog(s, d.pid, (l) => l.message === 'scan started' && l.trigger === 'watch', 'the watch scan');
    const firstPid = Number(first.scan_pid);
    process.kill(firstPid, 'SIGKILL');
    const died = await waitForLog(s, d.pid, (l) => l.message === 'scan process died: retrying the scan once', 'the crash report');
    t.like(died, { level: 'error', app: 'contoso', trigger: 'watch' });
    t.regex(String(died.error), new RegExp(`scan process \\(pid ${firstPid}\\) ended before it answered \\(signal SIGKILL\\)`));
    const retry = await waitForLog(s, d.pid, (l) => l.message === 'scan started' && l.trigger === 'watch' && l.scan_pid !== first.scan_pid, 'the retry');
    t.not(retry.scan_pid, first.scan_pid);
    release();
    released = true;
    const finished = await waitForLog(s, d.pid, (l) => l.message === 'scan finished' && l.trigger === 'watch', 'the retried scan');
    t.like(finished, { baseline: false });
    t.true(Number(finished.changes) >= 1 || Number(finished.read) >= 1, JSON.stringify(finished));
    await waitIdle(port);
    t.is(snapshotCount(s.db), 2, 'the baseline and the update, nothing of the killed attempt');
    t.false(logLines(s).some((l) => l.pid === d.pid && l.message === 'scan failed'));
  } finally {
    if (!released) release();
    t.is((await d.stop()).code, 0, d.stderr);
  }
});

test('a scan that fails (its process killed twice) is tried again by itself, later: /healthz says the app is failing (503) until a scan works again — no other change needed', async (t) => {
  const s = setup();
  const { d, port } = await baselined(s);
  const release = holdScanLock(s);
  let released = false;
  const health = async (): Promise<{ status: number; body: { status: string; failing?: Record<string, { failures: number }> } }> => {
    const r = await fetch(`http://127.0.0.1:${port}/healthz`);
    return { status: r.status, body: (await r.json()) as { status: string; failing?: Record<string, { failures: number }> } };
  };
  try {
    writeFileSync(join(s.appRoot, 'plugin.js'), 'module.exports = "new";\n');
    const first = await waitForLog(s, d.pid, (l) => l.message === 'scan started' && l.trigger === 'watch', 'the watch scan');
    process.kill(Number(first.scan_pid), 'SIGKILL');
    const second = await waitForLog(s, d.pid, (l) => l.message === 'scan started' && l.trigger === 'watch' && l.scan_pid !== first.scan_pid, 'the immediate retry');
    process.kill(Number(second.scan_pid), 'SIGKILL');
    const failed = await waitForLog(s, d.pid, (l) => l.message === 'scan failed', 'the failure');
    t.like(failed, { app: 'contoso', failures: 1, retry_in_s: 5 });
    const down = await health();
    t.is(down.status, 503);
    t.like(down.body, { status: 'failing', failing: { contoso: { failures: 1 } } });
    // The retry comes by itself; this time the lock is free.
    await waitForLog(s, d.pid, (l) => l.message === 'scan started' && l.scan_pid !== first.scan_pid && l.scan_pid !== second.scan_pid, 'the later retry');
    release();
    released = true;
    await waitForLog(s, d.pid, (l) => l.message === 'scans work again', 'the recovery');
    await waitIdle(port);
    t.is(snapshotCount(s.db), 2, 'the update is stored');
    const up = await health();
    t.is(up.status, 200);
    t.is(up.body.status, 'ok');
    t.is(up.body.failing, undefined);
  } finally {
    if (!released) release();
    t.is((await d.stop()).code, 0, d.stderr);
  }
});

test('SIGTERM while a scan waits: the daemon abandons it, ends its scan process, and exits 0; nothing of the scan is stored', async (t) => {
  const s = setup();
  const { d } = await baselined(s);
  const release = holdScanLock(s);
  try {
    writeFileSync(join(s.appRoot, 'late.js'), 'module.exports = 3;\n');
    const started = await waitForLog(s, d.pid, (l) => l.message === 'scan started' && l.trigger === 'watch', 'the watch scan');
    const scanPid = Number(started.scan_pid);
    const exit = await d.stop();
    t.is(exit.code, 0, d.stderr);
    t.truthy(logLines(s).find((l) => l.pid === d.pid && l.message === 'abandoning the scan under way (nothing of it is committed)'));
    await waitGone(scanPid);
    t.false(alive(scanPid) && !isZombie(scanPid));
  } finally {
    release();
  }
  t.is(snapshotCount(s.db), 1, 'only the baseline');
});

test('the daemon killed with -9 during a scan: its scan process exits too (it never scans for nobody)', async (t) => {
  const s = setup();
  const { d } = await baselined(s);
  const release = holdScanLock(s);
  try {
    writeFileSync(join(s.appRoot, 'orphan.js'), 'module.exports = 4;\n');
    const started = await waitForLog(s, d.pid, (l) => l.message === 'scan started' && l.trigger === 'watch', 'the watch scan');
    const scanPid = Number(started.scan_pid);
    await d.kill9();
    await waitGone(scanPid);
    t.pass();
  } finally {
    release();
  }
});
